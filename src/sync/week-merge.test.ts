import { describe, expect, it } from 'vitest';
import {
  contentOfManifest,
  mergeWeeks,
  resolveMerge,
  type WeekAssignment,
  type WeekContent,
  type WeekLesson,
  weekChanges,
} from './week-merge.ts';

const lesson = (id: string, body = `corps ${id}`, order = 1): WeekLesson => ({
  id,
  title: `Leçon ${id}`,
  order,
  body,
  attachments: [],
});
const assignment = (id: string, dueAt = '2026-12-04T15:00:00.000Z'): WeekAssignment => ({
  id,
  title: `Devoir ${id}`,
  instructions: 'Faire',
  dueAt,
});
const week = (lessons: WeekLesson[], assignments: WeekAssignment[] = []): WeekContent => ({ lessons, assignments });

describe('mergeWeeks', () => {
  const base = week([lesson('a'), lesson('b', 'b', 2)], [assignment('d1')]);

  it('keeps an item changed on one side only, whichever side', () => {
    const mine = week([lesson('a', 'mon a'), lesson('b', 'b', 2)], [assignment('d1')]);
    const theirs = week([lesson('a'), lesson('b', 'leur b', 2)], [assignment('d1', '2026-12-05T15:00:00.000Z')]);
    const m = mergeWeeks(base, mine, theirs);
    expect(m.conflicts).toEqual([]);
    expect(m.merged.lessons.map((l) => l.body)).toEqual(['mon a', 'leur b']);
    expect(m.merged.assignments[0]?.dueAt).toBe('2026-12-05T15:00:00.000Z');
  });

  it('keeps what each side added, mine in my order then theirs', () => {
    const mine = week([lesson('a'), lesson('c'), lesson('b', 'b', 3)], [assignment('d1')]);
    const theirs = week([...base.lessons, lesson('histoire')], [assignment('d1'), assignment('d2')]);
    const m = mergeWeeks(base, mine, theirs);
    expect(m.conflicts).toEqual([]);
    expect(m.merged.lessons.map((l) => [l.id, l.order])).toEqual([
      ['a', 1],
      ['c', 2],
      ['b', 3],
      ['histoire', 4],
    ]);
    expect(m.merged.assignments.map((a) => a.id)).toEqual(['d1', 'd2']);
  });

  it('takes a removal made on one side when the other left the item alone', () => {
    const mine = week([lesson('a')], [assignment('d1')]);
    const m = mergeWeeks(base, mine, base);
    expect(m.conflicts).toEqual([]);
    expect(m.merged.lessons.map((l) => l.id)).toEqual(['a']);
  });

  it('makes a conflict of an item changed on both sides, and of a removal against an edit', () => {
    const mine = week([lesson('a', 'mon a')], [assignment('d1')]);
    const theirs = week([lesson('a', 'leur a'), lesson('b', 'b modifié', 2)], [assignment('d1')]);
    const m = mergeWeeks(base, mine, theirs);
    expect(m.conflicts.map((c) => [c.kind, c.id, c.mine?.id, c.theirs?.id])).toEqual([
      ['lesson', 'a', 'a', 'a'],
      ['lesson', 'b', undefined, 'b'],
    ]);
    // Nothing is guessed: the merge waits for every choice.
    expect(m.merged.lessons).toEqual([]);
    expect(resolveMerge(m, { a: 'mine' })).toBeUndefined();
    const resolved = resolveMerge(m, { a: 'mine', b: 'theirs' });
    expect(resolved?.lessons.map((l) => [l.id, l.body])).toEqual([
      ['a', 'mon a'],
      ['b', 'b modifié'],
    ]);
    expect(resolveMerge(m, { a: 'theirs', b: 'mine' })?.lessons.map((l) => [l.id, l.body])).toEqual([['a', 'leur a']]);
  });

  it('sees the same edit made on both sides as no conflict, due dates compared as instants', () => {
    const both = week([lesson('a', 'pareil'), lesson('b', 'b', 2)], [assignment('d1', '2026-12-04T15:00:00Z')]);
    const m = mergeWeeks(base, both, { ...both, assignments: [assignment('d1')] });
    expect(m.conflicts).toEqual([]);
    expect(m.merged.lessons[0]?.body).toBe('pareil');
  });
});

describe('weekChanges', () => {
  it('lists what a version adds, changes and removes, by title', () => {
    const before = week([lesson('a'), lesson('b')], [assignment('d1')]);
    const after = week([lesson('a', 'nouveau'), lesson('c')], [assignment('d1')]);
    expect(weekChanges(before, after)).toEqual({
      lessons: { added: ['Leçon c'], changed: ['Leçon a'], removed: ['Leçon b'] },
      assignments: { added: [], changed: [], removed: [] },
    });
  });
});

describe('contentOfManifest', () => {
  it('keeps what a publication carries, lessons in their order', () => {
    const content = contentOfManifest({
      lessons: [
        {
          ...lesson('b', 'b', 2),
          attachments: [{ sha256: 'f'.repeat(64), name: 'x.pdf', type: 'application/pdf', size: 3 }],
        },
        { ...lesson('a'), attachments: [] },
      ],
      assignments: [assignment('d1')],
    });
    expect(content.lessons.map((l) => l.id)).toEqual(['a', 'b']);
    expect(content.lessons[1]?.attachments).toEqual([{ sha256: 'f'.repeat(64), name: 'x.pdf' }]);
  });
});
