// One contract for the OutboxStore and SyncStateStore ports, run against the in-memory fakes and IndexedDB.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { MemoryOutboxStore, MemorySyncStateStore } from '../sync/fakes.ts';
import type { OutboxItem, OutboxStore, SyncStateStore } from '../sync/ports.ts';
import { openCartableDb } from './db.ts';
import { IdbOutboxStore, IdbSyncStateStore } from './idb-outbox.ts';
import { openSealed } from '../server/sealing.ts';
import { sealedDevice } from '../test-support/sealed-device.ts';

interface Subject {
  outbox: OutboxStore;
  /** The plain bytes of what the outbox hands the transport for a file (a sealed device sends ciphertext). */
  sent: (item: OutboxItem, sha256: string, bytes: Uint8Array) => Promise<Uint8Array>;
  syncState: SyncStateStore;
  /** Damages a record the way a broken write or a bad migration would. */
  corrupt: (id: string) => Promise<void>;
}

let n = 0;
const implementations: [string, () => Promise<Subject>][] = [
  [
    'memory',
    async () => {
      const outbox = new MemoryOutboxStore();
      return {
        outbox,
        sent: async (_i, _s, bytes) => bytes,
        syncState: new MemorySyncStateStore(),
        corrupt: async (id) => void outbox.corrupt.add(id),
      };
    },
  ],
  [
    'indexeddb',
    async () => {
      const db = await openCartableDb(`outbox-contract-${n++}`);
      return {
        outbox: new IdbOutboxStore(db),
        sent: async (_i, _s, bytes) => bytes,
        syncState: new IdbSyncStateStore(db),
        corrupt: async (id) => void (await db.put('outbox', { id, state: 42 })),
      };
    },
  ],
  [
    'indexeddb, sealed (shared tablet, profile open)',
    async () => {
      const device = await sealedDevice(`outbox-contract-sealed-${n++}`);
      await device.signIn('lea');
      const outbox = new IdbOutboxStore(device.db, device.sealing);
      return {
        outbox,
        // What the server makes of it: the item's seal header opened with the server's own code.
        sent: async (i, sha256, bytes) => {
          const stored = await outbox.get(i.id);
          const iv = stored?.wire?.fileIvs[sha256];
          if (!stored?.wire || !iv) throw new Error('not sealed');
          return openSealed(device.serverKeys, `${stored.wire.key}.${iv}`, bytes);
        },
        syncState: new IdbSyncStateStore(device.db),
        corrupt: async (id) => void (await device.db.put('outbox', { id, state: 42 })),
      };
    },
  ],
];

const item = (id: string, createdAt: number, overrides: Partial<OutboxItem> = {}): OutboxItem => ({
  id,
  owner: 'lea',
  classId: 'cm2-b',
  week: '2026-W48',
  assignmentId: 'a1',
  assignmentTitle: 'Exercices',
  text: `texte ${id}`,
  files: [],
  submittedAt: '2026-11-24T19:00:00.000Z',
  createdAt,
  state: 'pending',
  attempts: 0,
  ...overrides,
});

describe.each(implementations)('outbox contract: %s', (_name, make) => {
  it('saves an item with its files’ bytes, and lists items oldest first', async () => {
    const { outbox, sent } = await make();
    const bytes = new TextEncoder().encode('photo');
    const file = { sha256: 'f'.repeat(64), name: 'p.jpg', type: 'image/jpeg', size: bytes.byteLength };
    await outbox.add(item('b', 2, { files: [file] }), [{ sha256: file.sha256, type: file.type, bytes }]);
    await outbox.add(item('a', 1), []);
    expect((await outbox.list()).map((e) => e.ok && e.item.id)).toEqual(['a', 'b']);
    const b = item('b', 2, { files: [file] });
    expect(await outbox.get('b')).toMatchObject(b);
    const stored = await outbox.fileBytes(file.sha256, 'b');
    expect(Array.from(await sent(b, file.sha256, stored ?? new Uint8Array()))).toEqual(Array.from(bytes));
    expect(await outbox.fileBytes('0'.repeat(64), 'b')).toBeUndefined();
  });

  it('refuses a second item with the same id and keeps the first whole', async () => {
    const { outbox } = await make();
    await outbox.add(item('a', 1), []);
    await expect(outbox.add(item('a', 2, { text: 'autre' }), [])).rejects.toBeDefined();
    expect((await outbox.get('a'))?.text).toBe('texte a');
  });

  it('updates in one step, and only when the change says so', async () => {
    const { outbox } = await make();
    await outbox.add(item('a', 1), []);
    const sending = await outbox.update('a', (i) =>
      i.state === 'pending' ? { ...i, state: 'sending', attempts: 1 } : undefined,
    );
    expect(sending).toMatchObject({ state: 'sending', attempts: 1 });
    expect(await outbox.update('a', (i) => (i.state === 'pending' ? { ...i, text: 'x' } : undefined))).toBeUndefined();
    expect(await outbox.get('a')).toMatchObject({ state: 'sending', text: 'texte a' });
    expect(await outbox.update('missing', (i) => i)).toBeUndefined();
  });

  it('updates several at once, in the order asked, leaving alone what the change skips and ids it does not know', async () => {
    const { outbox } = await make();
    for (const [id, at] of [
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ] as const)
      await outbox.add(item(id, at), []);
    await outbox.update('b', (i) => ({ ...i, state: 'received' }));
    const changed = await outbox.updateMany(['c', 'missing', 'b', 'a'], (i) =>
      i.state === 'pending' ? { ...i, state: 'sending', attempts: i.attempts + 1 } : undefined,
    );
    expect(changed.map((i) => [i.id, i.state, i.attempts])).toEqual([
      ['c', 'sending', 1],
      ['a', 'sending', 1],
    ]);
    // Read back whole (a sealed record keeps its private fields through the change).
    expect(await outbox.get('a')).toMatchObject({ state: 'sending', attempts: 1, text: 'texte a' });
    expect(await outbox.get('b')).toMatchObject({ state: 'received', attempts: 0 });
    const receipt = { payload: 'p', signature: 's', receivedAt: '2026-11-25T08:00:00.000Z' };
    await outbox.updateMany(['a', 'c'], (i) => ({ ...i, state: 'received', receipt }));
    expect(await outbox.get('c')).toMatchObject({ state: 'received', receipt, text: 'texte c' });
    expect(await outbox.updateMany([], (i) => i)).toEqual([]);
  });

  it('removes only what the condition allows', async () => {
    const { outbox } = await make();
    await outbox.add(item('a', 1), []);
    await outbox.add(item('b', 2, { state: 'received' }), []);
    expect(await outbox.remove('b', (i) => i.state === 'pending')).toBe(false);
    expect(await outbox.remove('a', (i) => i.state === 'pending')).toBe(true);
    expect((await outbox.list()).map((e) => e.ok && e.item.id)).toEqual(['b']);
  });

  it('frees a withdrawn item’s file bytes, unless another item holds the same file', async () => {
    const { outbox, sent } = await make();
    const bytes = new TextEncoder().encode('photo du cahier');
    const shared = new TextEncoder().encode('page partagée');
    const ref = (sha256: string, b: Uint8Array) => ({
      sha256,
      name: `${sha256}.jpg`,
      type: 'image/jpeg',
      size: b.length,
    });
    await outbox.add(item('a', 1, { files: [ref('f1', bytes), ref('f2', shared)] }), [
      { sha256: 'f1', type: 'image/jpeg', bytes },
      { sha256: 'f2', type: 'image/jpeg', bytes: shared },
    ]);
    await outbox.add(item('b', 2, { files: [ref('f2', shared)] }), [
      { sha256: 'f2', type: 'image/jpeg', bytes: shared },
    ]);
    expect(await outbox.remove('a', () => true)).toBe(true);
    expect(await outbox.fileBytes('f1', 'a')).toBeUndefined();
    const kept = await outbox.fileBytes('f2', 'b');
    const b = await outbox.get('b');
    expect(kept && b && new Uint8Array(await sent(b, 'f2', kept))).toEqual(shared);
  });

  it('lists a damaged record as unreadable beside the good ones, and never returns it as an item', async () => {
    const { outbox, corrupt } = await make();
    await outbox.add(item('good', 1), []);
    await corrupt('bad');
    const entries = await outbox.list();
    expect(entries.filter((e) => e.ok).map((e) => e.ok && e.item.id)).toEqual(['good']);
    expect(entries.filter((e) => !e.ok)).toEqual([{ ok: false, id: 'bad', reason: 'unreadable record' }]);
    expect(await outbox.get('bad')).toBeUndefined();
  });

  it('keeps the server backoff', async () => {
    const { syncState } = await make();
    expect(await syncState.getBackoff()).toEqual({ failures: 0, nextAttemptAt: 0 });
    await syncState.putBackoff({ failures: 3, nextAttemptAt: 1234, lastError: 'network' });
    expect(await syncState.getBackoff()).toEqual({ failures: 3, nextAttemptAt: 1234, lastError: 'network' });
  });
});
