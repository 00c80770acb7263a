/**
 * A teacher's week in preparation, kept on the device as a draft (it survives offline and reloads), and what it
 * becomes when published: the body of PUT …/publications/{id} and its files, queued in the outbox.
 */
import type { PublishBody, WeekManifest } from '../../protocol/schemas.ts';
import type { OutboxFile } from '../../sync/ports.ts';
import { contentOfManifest, EMPTY_WEEK, type WeekContent } from '../../sync/week-merge.ts';
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

/**
 * What a draft was edited from: the version it will be published over, and that version's content (the common
 * ancestor when the week moved on meanwhile). `from` says where the editor found it.
 */
export interface DraftBase {
  /** 0 for a week never published. */
  version: number;
  content: WeekContent;
  from: 'server' | 'device' | 'pending' | 'new';
  publishedAt?: string;
  /**
   * This device's publication of the draft, queued and not yet known to be published: once the server gave it a
   * version, that version (with this content) becomes the base. Until then the base stays the version it was made
   * over, so a later merge still sees its changes as the teacher's own.
   */
  pending?: { itemId: string; content: WeekContent };
}

export interface PublishDraft {
  week: string;
  lessons: DraftLesson[];
  assignments: DraftAssignment[];
  /** "" for at once, or "2026-11-30T07:00" in the school's time zone. */
  releaseAt: string;
  /** Absent in drafts saved before publications named their base: merged with the newest version as new work. */
  base?: DraftBase;
  /** Publications of this device in conflict that this draft settled: withdrawn when it is published. */
  supersedes?: string[];
}

export const NEW_WEEK_BASE: DraftBase = { version: 0, content: EMPTY_WEEK, from: 'new' };

export const newId = (prefix: string): string => `${prefix}-${crypto.randomUUID().slice(0, 8)}`;

/** A week never published: one empty lesson to start typing in. */
export const emptyDraft = (week: string): PublishDraft => ({
  week,
  lessons: [{ id: newId('lecon'), title: '', body: '', files: [] }],
  assignments: [],
  releaseAt: '',
  base: NEW_WEEK_BASE,
});

/** A draft holding `content`, edited from `base`. */
export function draftFromContent(week: string, content: WeekContent, base: DraftBase, timeZone: string): PublishDraft {
  return {
    week,
    lessons: content.lessons.map((l) => ({
      id: l.id,
      title: l.title,
      body: l.body,
      files: l.attachments.map((a) => a.sha256),
    })),
    assignments: content.assignments.map((a) => ({
      id: a.id,
      title: a.title,
      instructions: a.instructions,
      due: a.dueAt ? localInput(a.dueAt, timeZone) : '',
    })),
    releaseAt: '',
    base,
  };
}

/** A draft that starts from a published version of the week, to correct it. */
export function draftFromManifest(
  manifest: WeekManifest,
  timeZone: string,
  from: DraftBase['from'] = 'server',
): PublishDraft {
  const content = contentOfManifest(manifest);
  return draftFromContent(
    manifest.week,
    content,
    { version: manifest.version, content, from, publishedAt: manifest.publishedAt },
    timeZone,
  );
}

/**
 * The draft's lessons and assignments as a publication would carry them, incomplete ones included (what the
 * teacher compares with the base, and what a merge works on). Attachment names come from the files known here, else
 * from the base.
 */
export function draftContent(
  draft: PublishDraft,
  files: ReadonlyMap<string, { name: string }>,
  timeZone: string,
): WeekContent {
  const baseNames = new Map(
    (draft.base?.content.lessons ?? []).flatMap((l) => l.attachments.map((a) => [a.sha256, a.name] as const)),
  );
  return {
    lessons: draft.lessons
      .filter((l) => l.title.trim() || l.body.trim() || l.files.length > 0)
      .map((l, i) => ({
        id: l.id,
        title: l.title.trim(),
        order: i + 1,
        body: l.body,
        attachments: l.files.flatMap((sha256) => {
          const name = files.get(sha256)?.name ?? baseNames.get(sha256);
          return name ? [{ sha256, name }] : [];
        }),
      })),
    assignments: draft.assignments.map((a) => ({
      id: a.id,
      title: a.title.trim(),
      instructions: a.instructions,
      dueAt: schoolInstant(a.due, timeZone) ?? '',
    })),
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
  for (const l of lessons) for (const sha of l.files) if (files.has(sha)) used.set(sha, files.get(sha) as OutboxFile);
  // Files the device holds go with the publication; those of the base it lacks (published from another device)
  // are on the server already and are referenced by hash.
  const body: PublishBody = {
    ...draftContent({ ...draft, lessons }, files, timeZone),
    assignments,
    baseVersion: draft.base?.version ?? 0,
  };
  const release = draft.releaseAt ? schoolInstant(draft.releaseAt, timeZone) : undefined;
  if (release) body.releaseAt = release;
  return { body, files: [...used.values()] };
}
