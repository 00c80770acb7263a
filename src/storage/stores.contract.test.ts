// One contract for the WeekStore and FileStore ports, run against the in-memory fakes and the IndexedDB adapters.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { MemoryFileStore, MemoryWeekStore } from '../sync/fakes.ts';
import type { FileStore, WeekStore } from '../sync/ports.ts';
import { makeFile, makeManifest } from '../test-support/manifests.ts';
import { openCartableDb } from './db.ts';
import { IdbFileStore, IdbWeekStore } from './idb-stores.ts';

let dbCount = 0;
const implementations: [string, () => Promise<{ weeks: WeekStore; files: FileStore }>][] = [
  ['memory', async () => ({ weeks: new MemoryWeekStore(), files: new MemoryFileStore() })],
  [
    'indexeddb',
    async () => {
      const db = await openCartableDb(`contract-${dbCount++}`);
      return { weeks: new IdbWeekStore(db), files: new IdbFileStore(db) };
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
});
