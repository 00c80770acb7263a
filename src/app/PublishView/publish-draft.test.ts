import { describe, expect, it } from 'vitest';
import { makeFile, makeManifest } from '../../test-support/manifests.ts';
import {
  draftContent,
  draftFromManifest,
  emptyDraft,
  localInput,
  schoolInstant,
  toPublication,
} from './publish-draft.ts';

const img = makeFile('cycle.png', 'png bytes', 'image/png');
const files = new Map([[img.ref.sha256, img.ref]]);

describe('a teacher’s draft', () => {
  it('becomes a publication: lessons in order with their files, due dates in the school’s time zone', () => {
    const draft = {
      ...emptyDraft('2026-W49'),
      lessons: [
        { id: 'l1', title: ' Le cycle ', body: '![](cycle.png)', files: [img.ref.sha256] },
        { id: 'vide', title: '', body: '', files: [] }, // an untouched empty lesson is left out
      ],
      assignments: [{ id: 'd1', title: 'Schéma', instructions: 'Dessine.', due: '2026-12-04T16:00' }],
      releaseAt: '2026-11-30T07:00',
    };
    const built = toPublication(draft, files, 'Europe/Paris');
    expect(built).toEqual({
      body: {
        lessons: [
          {
            id: 'l1',
            title: 'Le cycle',
            order: 1,
            body: '![](cycle.png)',
            attachments: [{ sha256: img.ref.sha256, name: 'cycle.png' }],
          },
        ],
        assignments: [{ id: 'd1', title: 'Schéma', instructions: 'Dessine.', dueAt: '2026-12-04T15:00:00.000Z' }],
        releaseAt: '2026-11-30T06:00:00.000Z',
        baseVersion: 0,
      },
      files: [img.ref],
    });
  });

  it('lists what is missing instead of publishing', () => {
    const draft = {
      ...emptyDraft('2026-W49'),
      lessons: [{ id: 'l1', title: '', body: 'texte sans titre', files: [] }],
      assignments: [{ id: 'd1', title: '', instructions: '', due: '' }],
    };
    expect(toPublication(draft, files, 'Europe/Paris')).toEqual({
      problems: [
        { key: 'publish.needTitle', lesson: 1 },
        { key: 'publish.needAssignmentTitle', assignment: 1 },
        { key: 'publish.needDue', assignment: 1 },
      ],
    });
    expect(toPublication({ ...emptyDraft('2026-W49') }, files, 'Europe/Paris')).toEqual({
      problems: [{ key: 'publish.nothing' }],
    });
  });

  it('starts a correction from the published week, keeping lesson ids', () => {
    const manifest = makeManifest(3, [[img.ref], []], '2026-W49');
    const draft = draftFromManifest(manifest, 'Europe/Paris');
    expect(draft.lessons.map((l) => [l.id, l.files])).toEqual([
      ['l1', [img.ref.sha256]],
      ['l2', []],
    ]);
    expect(draft.assignments[0]?.due).toBe(localInput('2026-11-27T16:00:00.000Z', 'Europe/Paris'));
    expect(draft.assignments[0]?.due).toBe('2026-11-27T17:00');
    expect(schoolInstant(draft.assignments[0]?.due ?? '', 'Europe/Paris')).toBe('2026-11-27T16:00:00.000Z');
  });

  it('is published over the version it started from, attachments it does not hold referenced by hash', () => {
    const manifest = makeManifest(3, [[img.ref], []], '2026-W49');
    const draft = draftFromManifest(manifest, 'Europe/Paris');
    expect(draft.base).toMatchObject({ version: 3, from: 'server', publishedAt: manifest.publishedAt });
    // Opened on a device that never downloaded the week's files: they stay in the publication, by hash.
    const built = toPublication(draft, new Map(), 'Europe/Paris');
    if (!('body' in built)) throw new Error('expected a publication');
    expect(built.body.baseVersion).toBe(3);
    expect(built.body.lessons[0]?.attachments).toEqual([{ sha256: img.ref.sha256, name: img.ref.name }]);
    expect(built.files).toEqual([]);
    // Unchanged, the draft says the same as its base: nothing to review.
    expect(draftContent(draft, new Map(), 'Europe/Paris')).toEqual(draft.base?.content);
  });
});
