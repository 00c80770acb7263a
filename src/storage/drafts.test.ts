import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import type { OutboxItem } from '../sync/ports.ts';
import { openCartableDb } from './db.ts';
import { DraftStore, draftKey } from './drafts.ts';
import { IdbOutboxStore } from './idb-outbox.ts';

const key = draftKey('lea', 'cm2-b', '2026-W48', 'a1');
const bytes = new TextEncoder().encode('photo');
const file = { sha256: 'c'.repeat(64), name: 'p.jpg', type: 'image/jpeg', size: bytes.byteLength };
const item: OutboxItem = {
  id: 'i1',
  owner: 'lea',
  classId: 'cm2-b',
  week: '2026-W48',
  assignmentId: 'a1',
  assignmentTitle: 'A',
  text: 'ma réponse',
  files: [file],
  submittedAt: '2026-11-24T19:00:00.000Z',
  createdAt: 1,
  state: 'pending',
  attempts: 0,
};

describe('DraftStore', () => {
  it('submits a draft into the outbox in one step, and takes a pending item back to edit it', async () => {
    const db = await openCartableDb('drafts-1');
    const drafts = new DraftStore(db);
    const outbox = new IdbOutboxStore(db);
    await drafts.save({ key, owner: 'lea', text: 'ma réponse', files: [], updatedAt: 1 });
    await drafts.submit(key, item, [{ sha256: file.sha256, type: file.type, bytes }]);
    expect(await drafts.get(key)).toBeUndefined();
    expect(await outbox.get('i1')).toEqual(item);

    expect(await drafts.edit('i1', key)).toBe(true);
    expect(await outbox.get('i1')).toBeUndefined();
    const draft = await drafts.get(key);
    expect(draft?.text).toBe('ma réponse');
    expect(draft?.files.map((f) => [f.name, new Uint8Array(f.bytes).byteLength])).toEqual([
      ['p.jpg', bytes.byteLength],
    ]);
  });

  it('does not take back an item that is being sent or was received', async () => {
    const db = await openCartableDb('drafts-2');
    const drafts = new DraftStore(db);
    const outbox = new IdbOutboxStore(db);
    await outbox.add({ ...item, state: 'sending' }, []);
    expect(await drafts.edit('i1', key)).toBe(false);
    expect(await outbox.get('i1')).toMatchObject({ state: 'sending' });
    expect(await drafts.get(key)).toBeUndefined();
  });

  it('leaves the draft and the outbox untouched when queueing fails midway (nothing half-written)', async () => {
    const db = await openCartableDb('drafts-3');
    const drafts = new DraftStore(db);
    const outbox = new IdbOutboxStore(db);
    await outbox.add({ ...item, id: 'dup' }, []);
    await drafts.save({ key, owner: 'lea', text: 'brouillon', files: [], updatedAt: 1 });
    // Same id as an existing item: the add fails, so the files and the draft deletion are rolled back too.
    await expect(
      drafts.submit(key, { ...item, id: 'dup' }, [{ sha256: file.sha256, type: file.type, bytes }]),
    ).rejects.toBeDefined();
    expect((await drafts.get(key))?.text).toBe('brouillon');
    expect(await outbox.fileBytes(file.sha256, 'dup')).toBeUndefined();
  });
});
