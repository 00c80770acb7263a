/**
 * A teacher's week in preparation, kept on the device as a draft (it survives offline and reloads), and what it
 * becomes when published: the body of PUT …/publications/{id} and its files, queued in the outbox.
 */
import type { PublishBody, WeekManifest } from '../../protocol/schemas.ts';
import type { OutboxFile } from '../../sync/ports.ts';
import { wallClock, zonedInstant } from '../../protocol/zoned-time.ts';

export interface DraftLesson {
  /** Stable across versions: corrections replace the same lesson. */
  id: string;
  title: string;
  body: string;
  /** SHA-256 of the files attached to this lesson (their bytes are in the draft's files). */
  files: string[];
}

export interface DraftAssignment {
  id: string;
  title: string;
  instructions: string;
  /** "2026-12-04T16:00", read in the school's time zone. */
  due: string;
}

export interface PublishDraft {
  week: string;
  lessons: DraftLesson[];
  assignments: DraftAssignment[];
  /** "" for at once, or "2026-11-30T07:00" in the school's time zone. */
  releaseAt: string;
}

export const newId = (prefix: string): string => `${prefix}-${crypto.randomUUID().slice(0, 8)}`;

export const emptyDraft = (week: string): PublishDraft => ({
  week,
  lessons: [{ id: newId('lecon'), title: '', body: '', files: [] }],
  assignments: [],
  releaseAt: '',
});

/** A draft that starts from the published week, to correct it. */
export function draftFromManifest(manifest: WeekManifest, timeZone: string): PublishDraft {
  return {
    week: manifest.week,
    lessons: [...manifest.lessons]
      .sort((a, b) => a.order - b.order)
      .map((l) => ({ id: l.id, title: l.title, body: l.body, files: l.attachments.map((a) => a.sha256) })),
    assignments: manifest.assignments.map((a) => ({
      id: a.id,
      title: a.title,
      instructions: a.instructions,
      due: localInput(a.dueAt, timeZone),
    })),
    releaseAt: '',
  };
}

/** An instant as a datetime-local value on the school's wall clock. */
export function localInput(iso: string, timeZone: string): string {
  const w = wallClock(Date.parse(iso), timeZone);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${w.year}-${two(w.month)}-${two(w.day)}T${two(w.hour)}:${two(w.minute)}`;
}

/** A datetime-local value read on the school's wall clock, as an ISO instant; undefined when incomplete. */
export function schoolInstant(value: string, timeZone: string): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(value);
  if (!m) return undefined;
  const at = zonedInstant(
    { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) },
    Number(m[4]),
    Number(m[5]),
    timeZone,
  );
  return new Date(at).toISOString();
}

export type DraftProblem =
  | { key: 'publish.needTitle'; lesson: number }
  | { key: 'publish.needDue'; assignment: number }
  | { key: 'publish.needAssignmentTitle'; assignment: number }
  | { key: 'publish.nothing' };

/** Builds the publication, or lists what the teacher must fill in first. */
export function toPublication(
  draft: PublishDraft,
  files: ReadonlyMap<string, OutboxFile>,
  timeZone: string,
): { body: PublishBody; files: OutboxFile[] } | { problems: DraftProblem[] } {
  const problems: DraftProblem[] = [];
  const lessons = draft.lessons.filter((l) => l.title.trim() || l.body.trim() || l.files.length > 0);
  if (lessons.length === 0 && draft.assignments.length === 0) problems.push({ key: 'publish.nothing' });
  lessons.forEach((l, i) => {
    if (!l.title.trim()) problems.push({ key: 'publish.needTitle', lesson: i + 1 });
  });
  const assignments = draft.assignments.map((a, i) => {
    if (!a.title.trim()) problems.push({ key: 'publish.needAssignmentTitle', assignment: i + 1 });
    const dueAt = schoolInstant(a.due, timeZone);
    if (!dueAt) problems.push({ key: 'publish.needDue', assignment: i + 1 });
    return { id: a.id, title: a.title.trim(), instructions: a.instructions, dueAt: dueAt ?? '' };
  });
  if (problems.length > 0) return { problems };
  const used = new Map<string, OutboxFile>();
  const body: PublishBody = {
    lessons: lessons.map((l, i) => ({
      id: l.id,
      title: l.title.trim(),
      order: i + 1,
      body: l.body,
      attachments: l.files.flatMap((sha) => {
        const f = files.get(sha);
        if (!f) return [];
        used.set(sha, f);
        return [{ sha256: sha, name: f.name }];
      }),
    })),
    assignments,
  };
  const release = draft.releaseAt ? schoolInstant(draft.releaseAt, timeZone) : undefined;
  if (release) body.releaseAt = release;
  return { body, files: [...used.values()] };
}
