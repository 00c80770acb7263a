import { describe, expect, it } from 'vitest';
import { webVerifier } from '../storage/web-verifier.ts';
import { fakeWeekServer, makeFile, makeManifest, nodeHasher, testSigner } from '../test-support/manifests.ts';
import { BUNDLE_MAGIC, exportWeek, importWeek } from './bundle-file.ts';
import { FakeClock, FakeTransport, MemoryFileStore, MemoryKeyStore, MemoryWeekStore } from './fakes.ts';
import { InstallError, installWeek } from './week-install.ts';

const signer = testSigner();
const a = makeFile('a.png', 'image A', 'image/png');
const b = makeFile('b.pdf', 'pdf B', 'application/pdf');

function device() {
  return {
    files: new MemoryFileStore(),
    weeks: new MemoryWeekStore(),
    keys: new MemoryKeyStore(),
    hasher: nodeHasher,
    clock: new FakeClock(5_000),
    verifier: webVerifier,
  };
}

/** A device that downloaded version `version` of the week from a server. */
async function online(version = 1) {
  const d = device();
  const manifest = makeManifest(version, [[a.ref], [b.ref]]);
  const transport = new FakeTransport(fakeWeekServer(signer, () => [manifest], [a, b]));
  await installWeek({ ...d, transport }, 'cm2b', '2026-W48');
  return d;
}

/** A device with no network that met the server once (it holds the server's keys) and nothing else. */
async function offlineDevice() {
  const d = device();
  await d.keys.putAll([{ keyId: signer.keyId, publicKey: signer.publicKey }]);
  return d;
}

describe('week export and import', () => {
  it('carries a week whole to a device with no network, checked by the same signature and hashes', async () => {
    const file = await exportWeek(await online(), 'cm2b', '2026-W48');
    expect(new TextDecoder().decode(file.subarray(0, BUNDLE_MAGIC.length))).toBe(BUNDLE_MAGIC);
    const target = await offlineDevice();
    const result = await importWeek(target, file);
    expect(result).toMatchObject({ status: 'installed', manifest: { version: 1 } });
    expect((await target.files.get(b.ref.sha256))?.bytes).toEqual(b.bytes);
    // The imported week can be exported again, byte for byte.
    expect(await exportWeek(target, 'cm2b', '2026-W48')).toEqual(file);
  });

  it('refuses a file with a changed manifest, a changed file, a cut or a stranger key, and installs nothing', async () => {
    const file = await exportWeek(await online(), 'cm2b', '2026-W48');
    const text = new TextDecoder().decode(file);
    const tampered = new TextEncoder().encode(text.replace('Leçon 1', 'Leçon 9'));
    const badFile = file.slice();
    badFile[badFile.length - 1] = (badFile.at(-1) ?? 0) ^ 0xff; // the last byte of the last file
    const other = device(); // never met this server: does not hold its key
    const cases: [string, Uint8Array, Awaited<ReturnType<typeof offlineDevice>>][] = [
      ['manifest changed', tampered, await offlineDevice()],
      ['file changed', badFile, await offlineDevice()],
      ['cut short', file.subarray(0, file.length - 3), await offlineDevice()],
      ['not a week', new TextEncoder().encode('PK\u0003\u0004 a zip'), await offlineDevice()],
      ['unknown key', file, other],
    ];
    for (const [, bytes, target] of cases) {
      await expect(importWeek(target, bytes)).rejects.toBeInstanceOf(InstallError);
      expect(await target.weeks.get('cm2b', '2026-W48')).toBeUndefined();
    }
  });

  it('never replaces a newer version already on the device', async () => {
    const old = await exportWeek(await online(1), 'cm2b', '2026-W48');
    const newer = await online(2);
    expect(await importWeek(newer, old)).toMatchObject({ status: 'already-newer', manifest: { version: 2 } });
    expect((await newer.weeks.get('cm2b', '2026-W48'))?.manifest.version).toBe(2);
  });

  it('says why a week cannot be exported', async () => {
    await expect(exportWeek(device(), 'cm2b', '2026-W48')).rejects.toThrow('not on the device');
  });
});
