import { beforeEach, describe, expect, it } from 'vitest';
import { fileUrl, weekManifestUrl } from '../protocol/paths.ts';
import type { WeekManifest } from '../protocol/schemas.ts';
import { makeFile, makeManifest, nodeHasher } from '../test-support/manifests.ts';
import { FakeClock, FakeTransport, MemoryFileStore, MemoryWeekStore, response } from './fakes.ts';
import { type TransportRequest, TransportError } from './ports.ts';
import { InstallError, installWeek } from './week-install.ts';

const a = makeFile('a.png', 'image A', 'image/png');
const b = makeFile('b.pdf', 'pdf B', 'application/pdf');
const c = makeFile('c.png', 'image C', 'image/png');
const c2 = makeFile('c.png', 'image C corrected', 'image/png');

/** A server holding one manifest and a set of files, answering 304 to a matching If-None-Match. */
function server(manifest: () => WeekManifest, files: { ref: { sha256: string }; bytes: Uint8Array }[]) {
  return (req: TransportRequest) => {
    const m = manifest();
    if (req.path === weekManifestUrl(m.classId, m.week)) {
      const etag = `"v${m.version}"`;
      if (req.headers?.['if-none-match'] === etag) return response(304);
      return response(200, m, { etag });
    }
    const file = files.find((f) => req.path === fileUrl(f.ref.sha256));
    return file ? response(200, file.bytes) : response(404, { error: 'not_found', message: 'no such file' });
  };
}

describe('installWeek', () => {
  let clock: FakeClock;
  let files: MemoryFileStore;
  let weeks: MemoryWeekStore;
  beforeEach(() => {
    clock = new FakeClock(1_000);
    files = new MemoryFileStore();
    weeks = new MemoryWeekStore();
  });
  const deps = (transport: FakeTransport) => ({ transport, files, weeks, hasher: nodeHasher, clock });

  it('downloads every file, then switches the week, then answers 304 without downloading again', async () => {
    let manifest = makeManifest(1, [[a.ref], [b.ref, c.ref]]);
    const transport = new FakeTransport(server(() => manifest, [a, b, c, c2]));
    const first = await installWeek(deps(transport), 'cm2b', '2026-W48');
    expect(first).toMatchObject({ status: 'installed', downloaded: 3 });
    expect((await weeks.get('cm2b', '2026-W48'))?.manifest.version).toBe(1);
    expect(transport.log).toHaveLength(4);

    const again = await installWeek(deps(transport), 'cm2b', '2026-W48');
    expect(again.status).toBe('unchanged');
    expect(transport.log).toHaveLength(5);
    expect(transport.log[4]?.headers?.['if-none-match']).toBe('"v1"');

    manifest = makeManifest(2, [[a.ref], [b.ref, c2.ref]]);
    const update = await installWeek(deps(transport), 'cm2b', '2026-W48');
    expect(update).toMatchObject({ status: 'installed', downloaded: 1 });
    expect(transport.log.slice(6).map((r) => r.path)).toEqual([fileUrl(c2.ref.sha256)]);
  });

  it('keeps the previous version when a file does not match its hash, and resumes afterwards', async () => {
    const v1 = makeManifest(1, [[a.ref]]);
    let manifest = v1;
    let corrupt = true;
    const serve = server(() => manifest, [a, b, c]);
    const transport = new FakeTransport((req) => {
      if (corrupt && req.path === fileUrl(c.ref.sha256)) return response(200, new TextEncoder().encode('tampered'));
      return serve(req);
    });
    await installWeek(deps(transport), 'cm2b', '2026-W48');
    manifest = makeManifest(2, [[a.ref], [b.ref], [c.ref]]);

    await expect(installWeek(deps(transport), 'cm2b', '2026-W48')).rejects.toBeInstanceOf(InstallError);
    expect((await weeks.get('cm2b', '2026-W48'))?.manifest.version).toBe(1);
    expect(await files.hasMany([b.ref.sha256, c.ref.sha256])).toEqual(new Set([b.ref.sha256]));

    corrupt = false;
    const before = transport.log.length;
    const resumed = await installWeek(deps(transport), 'cm2b', '2026-W48');
    expect(resumed).toMatchObject({ status: 'installed', downloaded: 1 });
    expect(transport.log.slice(before + 1).map((r) => r.path)).toEqual([fileUrl(c.ref.sha256)]);
    expect((await weeks.get('cm2b', '2026-W48'))?.manifest.version).toBe(2);
  });

  it('keeps the installed week when the network fails midway', async () => {
    const manifest = makeManifest(1, [[a.ref, b.ref]]);
    const serve = server(() => manifest, [a, b]);
    const transport = new FakeTransport((req) => {
      if (req.path === fileUrl(b.ref.sha256)) throw new TransportError('offline');
      return serve(req);
    });
    await expect(installWeek(deps(transport), 'cm2b', '2026-W48')).rejects.toThrow('offline');
    expect(await weeks.get('cm2b', '2026-W48')).toBeUndefined();
    expect((await files.hasMany([a.ref.sha256])).size).toBe(1);
  });

  it('reports a week that is not published, and refuses a manifest for another week', async () => {
    const notThere = new FakeTransport(() => response(404, { error: 'not_found', message: 'x' }));
    expect(await installWeek(deps(notThere), 'cm2b', '2026-W48')).toEqual({ status: 'not-published' });
    const wrong = new FakeTransport(() => response(200, makeManifest(1, [], '2026-W47'), { etag: '"x"' }));
    await expect(installWeek(deps(wrong), 'cm2b', '2026-W48')).rejects.toThrow('another week');
  });

  it('refuses a manifest that is not JSON or not a manifest, keeping the installed week', async () => {
    for (const body of ['<html>proxy error</html>', '{"format":1,"lessons":"nope"}']) {
      const bad = new FakeTransport(() => response(200, body, { etag: '"x"' }));
      await expect(installWeek(deps(bad), 'cm2b', '2026-W48')).rejects.toBeInstanceOf(InstallError);
    }
    expect(await weeks.get('cm2b', '2026-W48')).toBeUndefined();
  });
});
