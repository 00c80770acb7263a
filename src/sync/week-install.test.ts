import { beforeEach, describe, expect, it } from 'vitest';
import { fileUrl, weekManifestUrl } from '../protocol/paths.ts';
import type { WeekManifest } from '../protocol/schemas.ts';
import { webVerifier } from '../storage/web-verifier.ts';
import { fakeWeekServer, makeFile, makeManifest, nodeHasher, testSigner } from '../test-support/manifests.ts';
import { FakeClock, FakeTransport, MemoryFileStore, MemoryKeyStore, MemoryWeekStore, response } from './fakes.ts';
import { TransportError } from './ports.ts';
import { InstallError, NoRoomError, installWeek, refreshKeys } from './week-install.ts';

const a = makeFile('a.png', 'image A', 'image/png');
const b = makeFile('b.pdf', 'pdf B', 'application/pdf');
const c = makeFile('c.png', 'image C', 'image/png');
const c2 = makeFile('c.png', 'image C corrected', 'image/png');

const signer = testSigner();

/** A server holding one signed manifest and a set of files, answering 304 to a matching If-None-Match. */
const server = (manifest: () => WeekManifest, files: { ref: { sha256: string }; bytes: Uint8Array }[]) =>
  fakeWeekServer(signer, () => [manifest()], files);

describe('installWeek', () => {
  let clock: FakeClock;
  let files: MemoryFileStore;
  let weeks: MemoryWeekStore;
  let keys: MemoryKeyStore;
  beforeEach(() => {
    clock = new FakeClock(1_000);
    files = new MemoryFileStore();
    weeks = new MemoryWeekStore();
    keys = new MemoryKeyStore();
  });
  const deps = (transport: FakeTransport) => ({
    transport,
    files,
    weeks,
    hasher: nodeHasher,
    clock,
    keys,
    verifier: webVerifier,
  });

  it('downloads every file, then switches the week, then answers 304 without downloading again', async () => {
    let manifest = makeManifest(1, [[a.ref], [b.ref, c.ref]]);
    const transport = new FakeTransport(server(() => manifest, [a, b, c, c2]));
    const first = await installWeek(deps(transport), 'cm2b', '2026-W48');
    expect(first).toMatchObject({ status: 'installed', downloaded: 3 });
    expect((await weeks.get('cm2b', '2026-W48'))?.manifest.version).toBe(1);
    // The manifest, the server's keys (new to this device), three files.
    expect(transport.log.map((r) => r.path)).toEqual([
      weekManifestUrl('cm2b', '2026-W48'),
      '/api/keys',
      ...[a, b, c].map((f) => fileUrl(f.ref.sha256)),
    ]);

    const again = await installWeek(deps(transport), 'cm2b', '2026-W48');
    expect(again.status).toBe('unchanged');
    expect(transport.log).toHaveLength(6);
    expect(transport.log[5]?.headers?.['if-none-match']).toBe('"2026-W48v1"');

    manifest = makeManifest(2, [[a.ref], [b.ref, c2.ref]]);
    const update = await installWeek(deps(transport), 'cm2b', '2026-W48');
    expect(update).toMatchObject({ status: 'installed', downloaded: 1 });
    // The key is known now: only the manifest and the one changed file.
    expect(transport.log.slice(6).map((r) => r.path)).toEqual([
      weekManifestUrl('cm2b', '2026-W48'),
      fileUrl(c2.ref.sha256),
    ]);
    expect((await weeks.get('cm2b', '2026-W48'))?.signed?.keyId).toBe(signer.keyId);
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

  it('says before downloading a byte when the new files will not fit, and keeps the installed week', async () => {
    const manifest = makeManifest(1, [[a.ref], [b.ref, c.ref]]);
    const transport = new FakeTransport(server(() => manifest, [a, b, c]));
    const needed = a.ref.size + b.ref.size + c.ref.size;
    const tight = { ...deps(transport), freeBytes: async () => needed };
    const refused = installWeek(tight, 'cm2b', '2026-W48');
    await expect(refused).rejects.toBeInstanceOf(NoRoomError);
    await expect(refused).rejects.toMatchObject({ neededBytes: needed, freeBytes: needed });
    expect(transport.log.filter((r) => r.path.startsWith('/api/files/'))).toEqual([]);
    expect(await weeks.get('cm2b', '2026-W48')).toBeUndefined();
    // With room (or a browser that does not say), it installs.
    const roomy = { ...deps(transport), freeBytes: async () => needed * 2 };
    expect(await installWeek(roomy, 'cm2b', '2026-W48')).toMatchObject({ status: 'installed', downloaded: 3 });
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
    const other = signer.signed(makeManifest(1, [], '2026-W47'), '"x"');
    const wrong = new FakeTransport((req) =>
      req.path === '/api/keys' ? response(200, signer.keysReply()) : response(200, other.text, other.headers),
    );
    await expect(installWeek(deps(wrong), 'cm2b', '2026-W48')).rejects.toThrow('another week');
  });

  it('refuses a manifest that is not JSON or not a manifest, keeping the installed week', async () => {
    for (const body of ['<html>proxy error</html>', '{"format":1,"lessons":"nope"}']) {
      const { text, headers } = signer.signed(body, '"x"');
      const bad = new FakeTransport((req) =>
        req.path === '/api/keys' ? response(200, signer.keysReply()) : response(200, text, headers),
      );
      await expect(installWeek(deps(bad), 'cm2b', '2026-W48')).rejects.toBeInstanceOf(InstallError);
    }
    expect(await weeks.get('cm2b', '2026-W48')).toBeUndefined();
  });

  it('refuses a manifest with a bad, missing or unknown signature, and keeps the previous version', async () => {
    let manifest = makeManifest(1, [[a.ref]]);
    const serve = server(() => manifest, [a, b]);
    let tamper: 'none' | 'body' | 'unsigned' | 'stranger' = 'none';
    const stranger = testSigner('test-key');
    const transport = new FakeTransport((req) => {
      const res = serve(req);
      if (tamper === 'none' || req.path !== weekManifestUrl('cm2b', '2026-W48') || res.status !== 200) return res;
      const text = new TextDecoder().decode(res.body);
      if (tamper === 'body') return response(200, text.replace('Leçon 1', 'Leçon piégée'), res.headers);
      if (tamper === 'unsigned') return response(200, text, { etag: res.headers.etag ?? '' });
      return response(200, text, stranger.signed(text, res.headers.etag ?? '').headers); // same key id, other key
    });
    await installWeek(deps(transport), 'cm2b', '2026-W48');
    manifest = makeManifest(2, [[a.ref], [b.ref]]);
    for (const t of ['body', 'unsigned', 'stranger'] as const) {
      tamper = t;
      await expect(installWeek(deps(transport), 'cm2b', '2026-W48')).rejects.toBeInstanceOf(InstallError);
      expect((await weeks.get('cm2b', '2026-W48'))?.manifest.version).toBe(1);
    }
    expect(await files.hasMany([b.ref.sha256])).toEqual(new Set()); // nothing fetched for a refused manifest
    tamper = 'none';
    expect(await installWeek(deps(transport), 'cm2b', '2026-W48')).toMatchObject({ status: 'installed' });
  });
});

describe('refreshKeys', () => {
  it('keeps the signing keys and answers the sealing key when the server publishes one, nothing otherwise', async () => {
    const keys = new MemoryKeyStore();
    const sealing = { keyId: 's1', algorithm: 'ECDH-P256', publicKey: 'BPub' };
    const signing = { keyId: 'k1', algorithm: 'Ed25519', publicKey: 'MCow' };
    const withSealing = new FakeTransport(() => response(200, { keys: [signing], sealing }));
    expect(await refreshKeys({ keys, transport: withSealing })).toEqual({
      sealing: { keyId: 's1', publicKey: 'BPub' },
    });
    expect(await keys.get('k1')).toBe('MCow');
    const without = new FakeTransport(() => response(200, { keys: [signing], sealing: { keyId: 3 } }));
    expect(await refreshKeys({ keys, transport: without })).toEqual({});
  });
});
