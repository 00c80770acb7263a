// One contract for the week, file, key and prefetch-state ports, run against the in-memory fakes and the IndexedDB adapters.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { MemoryFileStore, MemoryKeyStore, MemoryPrefetchStateStore, MemoryWeekStore } from '../sync/fakes.ts';
import type { FileStore, KeyStore, WeekStore } from '../sync/ports.ts';
import type { PrefetchStateStore } from '../sync/prefetch.ts';
import { makeFile, makeManifest } from '../test-support/manifests.ts';
import { openCartableDb } from './db.ts';
import { IdbFileStore, IdbKeyStore, IdbPrefetchStateStore, IdbWeekStore } from './idb-stores.ts';

let dbCount = 0;
interface Stores {
  weeks: WeekStore;
  files: FileStore;
  keys: KeyStore;
  prefetch: PrefetchStateStore;
}
const implementations: [string, () => Promise<Stores>][] = [
  [
    'memory',
    async () => ({
      weeks: new MemoryWeekStore(),
      files: new MemoryFileStore(),
      keys: new MemoryKeyStore(),
      prefetch: new MemoryPrefetchStateStore(),
    }),
  ],
  [
    'indexeddb',
    async () => {
      const db = await openCartableDb(`contract-${dbCount++}`);
      return {
        weeks: new IdbWeekStore(db),
        files: new IdbFileStore(db),
        keys: new IdbKeyStore(db),
        prefetch: new IdbPrefetchStateStore(db),
      };
    },
  ],
];

describe.each(implementations)('stores contract: %s', (_name, make) => {
  it('keeps one version per week and replaces it whole', async () => {
    const { weeks } = await make();
    expect(await weeks.get('cm2b', '2026-W48')).toBeUndefined();
    await weeks.put({ manifest: makeManifest(1, [[]]), etag: '"1"', installedAt: 1 });
    await weeks.put({ manifest: makeManifest(2, [[], []]), etag: '"2"', installedAt: 2 });
    await weeks.put({ manifest: makeManifest(1, [[]], '2026-W49'), etag: '"9"', installedAt: 3 });
    const current = await weeks.get('cm2b', '2026-W48');
    expect(current).toEqual({ manifest: makeManifest(2, [[], []]), etag: '"2"', installedAt: 2 });
    expect((await weeks.list('cm2b')).map((w) => w.manifest.week).sort()).toEqual(['2026-W48', '2026-W49']);
    expect(await weeks.list('other')).toEqual([]);
  });

  it('returns a copy: changing what it returned does not change what it holds', async () => {
    const { weeks } = await make();
    await weeks.put({ manifest: makeManifest(1, [[]]), etag: '"1"', installedAt: 1 });
    const got = await weeks.get('cm2b', '2026-W48');
    if (got) got.manifest.lessons = [];
    expect((await weeks.get('cm2b', '2026-W48'))?.manifest.lessons).toHaveLength(1);
  });

  it('stores files by hash, byte for byte, and tells which it has', async () => {
    const { files } = await make();
    const a = makeFile('a.png', 'AAAA', 'image/png');
    const b = makeFile('b.pdf', 'BBBB', 'application/pdf');
    expect((await files.hasMany([a.ref.sha256])).size).toBe(0);
    await files.put({ sha256: a.ref.sha256, type: 'image/png', bytes: a.bytes });
    await files.put({ sha256: a.ref.sha256, type: 'image/png', bytes: a.bytes });
    expect(await files.hasMany([a.ref.sha256, b.ref.sha256])).toEqual(new Set([a.ref.sha256]));
    const got = await files.get(a.ref.sha256);
    expect(got?.type).toBe('image/png');
    expect(Array.from(got?.bytes ?? [])).toEqual(Array.from(a.bytes));
    expect(await files.get(b.ref.sha256)).toBeUndefined();
  });

  it('lists every class’s weeks, removes one, and keeps the signed text with the week', async () => {
    const { weeks } = await make();
    const signed = { text: '{"x":1}', signature: 'sig', keyId: 'k' };
    await weeks.put({ manifest: makeManifest(1, [[]]), etag: '"1"', installedAt: 1, signed });
    await weeks.put({ manifest: { ...makeManifest(1, [[]]), classId: 'cm1a' }, etag: '"2"', installedAt: 2 });
    expect((await weeks.listAll()).map((w) => w.manifest.classId).sort()).toEqual(['cm1a', 'cm2b']);
    expect((await weeks.get('cm2b', '2026-W48'))?.signed).toEqual(signed);
    await weeks.remove('cm2b', '2026-W48');
    expect(await weeks.get('cm2b', '2026-W48')).toBeUndefined();
    expect(await weeks.list('cm1a')).toHaveLength(1);
  });

  it('lists and deletes files', async () => {
    const { files } = await make();
    const a = makeFile('a.png', 'AAAA', 'image/png');
    const b = makeFile('b.png', 'BBBB', 'image/png');
    for (const f of [a, b]) await files.put({ sha256: f.ref.sha256, type: 'image/png', bytes: f.bytes });
    expect((await files.keys()).sort()).toEqual([a.ref.sha256, b.ref.sha256].sort());
    await files.remove([a.ref.sha256, 'not-there']);
    expect(await files.keys()).toEqual([b.ref.sha256]);
  });

  it('pins the first key published under an id', async () => {
    const { keys } = await make();
    await keys.putAll([{ keyId: 'k1', publicKey: 'first' }]);
    await keys.putAll([
      { keyId: 'k1', publicKey: 'swapped' },
      { keyId: 'k2', publicKey: 'second' },
    ]);
    expect(await keys.get('k1')).toBe('first');
    expect(await keys.get('k2')).toBe('second');
    expect(await keys.get('k3')).toBeUndefined();
  });

  it('remembers prefetch checks per class', async () => {
    const { prefetch } = await make();
    expect(await prefetch.get('cm2b')).toBeUndefined();
    await prefetch.put({ classId: 'cm2b', lastCheckAt: 5, nextCheckAt: 9, lastOutcome: 'checked' });
    expect(await prefetch.get('cm2b')).toEqual({
      classId: 'cm2b',
      lastCheckAt: 5,
      nextCheckAt: 9,
      lastOutcome: 'checked',
    });
  });
});
