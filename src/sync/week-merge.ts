/**
 * Two editions of one week merged item by item, as a three-way merge from the version both started from. Lessons and
 * assignments have stable ids: an item changed (or removed) on one side only takes that side; an item changed on
 * both sides differently is a conflict the teacher settles. Nothing is dropped without a side having chosen it.
 *
 *   base ──▶ mine    (this device's edit)
 *     └────▶ theirs  (what the server has now: another device, another teacher)
 *
 * Pure: the editor, the outbox (a publication refused as stale is merged and sent again when nothing conflicts) and
 * the CLI use the same rule.
 */
import type { PublishBody, WeekManifest } from '../protocol/schemas.ts';

export type WeekLesson = PublishBody['lessons'][number];
export type WeekAssignment = PublishBody['assignments'][number];

/** What a teacher edits in a week: its lessons (in order) and its assignments. */
export interface WeekContent {
  lessons: WeekLesson[];
  assignments: WeekAssignment[];
}

export const EMPTY_WEEK: WeekContent = { lessons: [], assignments: [] };

/** A published manifest as the content a publication body carries. */
export function contentOfManifest(manifest: Pick<WeekManifest, 'lessons' | 'assignments'>): WeekContent {
  return {
    lessons: [...manifest.lessons]
      .sort((a, b) => a.order - b.order)
      .map((l) => ({
        id: l.id,
        title: l.title,
        order: l.order,
        body: l.body,
        attachments: l.attachments.map((a) => ({ sha256: a.sha256, name: a.name })),
      })),
    assignments: manifest.assignments.map((a) => ({
      id: a.id,
      title: a.title,
      instructions: a.instructions,
      dueAt: a.dueAt,
    })),
  };
}

const lessonKey = (l: WeekLesson | undefined): string =>
  l ? JSON.stringify([l.title, l.body, l.attachments.map((a) => [a.sha256, a.name])]) : '(absent)';
const assignmentKey = (a: WeekAssignment | undefined): string =>
  a ? JSON.stringify([a.title, a.instructions, Date.parse(a.dueAt)]) : '(absent)';

/** True when the two editions of an item say the same (order aside; due dates compared as instants). */
export const sameLesson = (a: WeekLesson | undefined, b: WeekLesson | undefined) => lessonKey(a) === lessonKey(b);
export const sameAssignment = (a: WeekAssignment | undefined, b: WeekAssignment | undefined) =>
  assignmentKey(a) === assignmentKey(b);

export type Side = 'mine' | 'theirs';

/** An item both sides changed, differently (an absent side removed it). */
export type Conflict =
  | { kind: 'lesson'; id: string; base?: WeekLesson; mine?: WeekLesson; theirs?: WeekLesson }
  | { kind: 'assignment'; id: string; base?: WeekAssignment; mine?: WeekAssignment; theirs?: WeekAssignment };

export interface WeekMerge {
  /** Everything that merged by itself, conflicting items left out until chosen (resolveMerge). */
  merged: WeekContent;
  conflicts: Conflict[];
  /** The ids of every item in their merged order, conflicting ones included: where a chosen item goes. */
  lessonOrder: string[];
  assignmentOrder: string[];
}

function mergeItems<T extends { id: string }>(
  base: readonly T[],
  mine: readonly T[],
  theirs: readonly T[],
  same: (a: T | undefined, b: T | undefined) => boolean,
): { kept: Map<string, T>; conflicts: { id: string; base?: T; mine?: T; theirs?: T }[]; order: string[] } {
  const byId = (items: readonly T[]) => new Map(items.map((i) => [i.id, i]));
  const [b, m, t] = [byId(base), byId(mine), byId(theirs)];
  // Mine's order first (what this teacher arranged), then what only the other side added, in its order.
  const order = [...new Set([...mine.map((i) => i.id), ...theirs.map((i) => i.id)])];
  const kept = new Map<string, T>();
  const conflicts: { id: string; base?: T; mine?: T; theirs?: T }[] = [];
  for (const id of [...order, ...base.map((i) => i.id)]) {
    if (kept.has(id) || conflicts.some((c) => c.id === id)) continue;
    const [bi, mi, ti] = [b.get(id), m.get(id), t.get(id)];
    let chosen: T | undefined;
    if (same(mi, ti)) chosen = mi ?? ti;
    else if (same(mi, bi))
      chosen = ti; // only theirs changed it (or removed it)
    else if (same(ti, bi))
      chosen = mi; // only mine changed it (or removed it)
    else {
      conflicts.push({ id, ...(bi ? { base: bi } : {}), ...(mi ? { mine: mi } : {}), ...(ti ? { theirs: ti } : {}) });
      continue;
    }
    if (chosen) kept.set(id, chosen);
  }
  return { kept, conflicts, order };
}

const numbered = (lessons: WeekLesson[]): WeekLesson[] => lessons.map((l, i) => ({ ...l, order: i + 1 }));

/** Merges `mine` and `theirs`, both edited from `base`. */
export function mergeWeeks(base: WeekContent, mine: WeekContent, theirs: WeekContent): WeekMerge {
  const lessons = mergeItems(base.lessons, mine.lessons, theirs.lessons, sameLesson);
  const assignments = mergeItems(base.assignments, mine.assignments, theirs.assignments, sameAssignment);
  return {
    merged: {
      lessons: numbered(lessons.order.flatMap((id) => lessons.kept.get(id) ?? [])),
      assignments: assignments.order.flatMap((id) => assignments.kept.get(id) ?? []),
    },
    conflicts: [
      ...lessons.conflicts.map((c) => ({ kind: 'lesson' as const, ...c })),
      ...assignments.conflicts.map((c) => ({ kind: 'assignment' as const, ...c })),
    ],
    lessonOrder: lessons.order,
    assignmentOrder: assignments.order,
  };
}

/**
 * The merged week once the teacher chose a side for every conflict; undefined while one is unchosen (nothing is
 * guessed for her).
 */
export function resolveMerge(merge: WeekMerge, choices: Readonly<Record<string, Side>>): WeekContent | undefined {
  if (merge.conflicts.some((c) => choices[c.id] === undefined)) return undefined;
  const pick = <T>(c: { id: string; mine?: T; theirs?: T }): T | undefined =>
    choices[c.id] === 'mine' ? c.mine : c.theirs;
  const lessons = new Map(merge.merged.lessons.map((l) => [l.id, l]));
  const assignments = new Map(merge.merged.assignments.map((a) => [a.id, a]));
  for (const c of merge.conflicts) {
    if (c.kind === 'lesson') {
      const chosen = pick(c);
      if (chosen) lessons.set(c.id, chosen);
    } else {
      const chosen = pick(c);
      if (chosen) assignments.set(c.id, chosen);
    }
  }
  return {
    lessons: numbered(merge.lessonOrder.flatMap((id) => lessons.get(id) ?? [])),
    assignments: merge.assignmentOrder.flatMap((id) => assignments.get(id) ?? []),
  };
}

export interface WeekChanges {
  added: string[];
  changed: string[];
  removed: string[];
}

/** What `after` adds, changes and removes compared with `before`, as item titles (what the teacher reviews). */
export function weekChanges(
  before: WeekContent,
  after: WeekContent,
): { lessons: WeekChanges; assignments: WeekChanges } {
  const diff = <T extends { id: string; title: string }>(
    b: readonly T[],
    a: readonly T[],
    same: (x: T | undefined, y: T | undefined) => boolean,
  ): WeekChanges => {
    const old = new Map(b.map((i) => [i.id, i]));
    const now = new Set(a.map((i) => i.id));
    return {
      added: a.filter((i) => !old.has(i.id)).map((i) => i.title),
      changed: a.filter((i) => old.has(i.id) && !same(old.get(i.id), i)).map((i) => i.title),
      removed: b.filter((i) => !now.has(i.id)).map((i) => i.title),
    };
  };
  return {
    lessons: diff(before.lessons, after.lessons, sameLesson),
    assignments: diff(before.assignments, after.assignments, sameAssignment),
  };
}

export const hasChanges = (c: { lessons: WeekChanges; assignments: WeekChanges }): boolean =>
  [c.lessons, c.assignments].some((x) => x.added.length + x.changed.length + x.removed.length > 0);
