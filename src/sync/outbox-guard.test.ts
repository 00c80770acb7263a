import { describe, expect, it } from 'vitest';
import { isOutboxItem } from './outbox-guard.ts';

const record = {
  id: '00000000-0000-4000-8000-000000000001',
  owner: 'lea',
  classId: 'cm2-b',
  week: '2026-W48',
  assignmentId: 'exercices-fractions',
  assignmentTitle: 'Exercices',
  text: 'réponse',
  files: [],
  submittedAt: '2026-11-24T19:00:00.000Z',
  createdAt: 1,
  state: 'pending',
  attempts: 0,
};

describe('isOutboxItem', () => {
  it('reads records written before kinds existed, and every known kind', () => {
    expect(isOutboxItem(record)).toBe(true);
    for (const kind of ['homework', 'publication', 'feedback', 'seen'])
      expect(isOutboxItem({ ...record, kind })).toBe(true);
  });

  it('keeps a record of a kind it does not know out of the queue (shown as unreadable, never sent)', () => {
    expect(isOutboxItem({ ...record, kind: 'survey' })).toBe(false);
    expect(isOutboxItem({ ...record, kind: 3 })).toBe(false);
  });
});
