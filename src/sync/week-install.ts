/**
 * Installs one class's week on the device, atomically:
 *
 *   fetch manifest (If-None-Match: installed etag) ──304──> unchanged
 *        │200
 *        ▼
 *   check the server's Ed25519 signature over the manifest's exact bytes ──bad──> throw; old version stays
 *        │
 *        ▼
 *   fetch the files the device lacks, check each SHA-256, store each ──any failure──> throw; old version stays
 *        │all present
 *        ▼
 *   switch the week to the new manifest in one put ──> installed
 *
 * Files are stored one by one as they arrive, so an interrupted install resumes where it stopped; the week itself
 * switches only once everything it references is on the device, so a pupil never sees a half-updated week. The same
 * second half installs a week imported from a file (bundle-file.ts), with the files read from it instead.
 */
import {
  fileUrl,
  keysUrl,
  MANIFEST_KEY_HEADER,
  MANIFEST_SIGNATURE_HEADER,
  weekManifestUrl,
} from '../protocol/paths.ts';
import type { WeekManifest } from '../protocol/schemas.ts';
import { isWeekManifest } from './manifest-guard.ts';
import { missingFiles } from './manifest-diff.ts';
import type {
  Clock,
  FileStore,
  Hasher,
  KeyStore,
  SignatureVerifier,
  SignedManifest,
  Transport,
  WeekStore,
} from './ports.ts';

export interface InstallDeps {
  transport: Transport;
  files: FileStore;
  weeks: WeekStore;
  hasher: Hasher;
  clock: Clock;
  keys: KeyStore;
  verifier: SignatureVerifier;
  /** Extra headers for the manifest request (the bearer token). */
  headers?: Record<string, string>;
  /** Called after each file is stored: done of total. */
  onProgress?: (done: number, total: number) => void;
  /** Bytes the device may still store (the browser's estimate), or undefined when it does not say. */
  freeBytes?: () => Promise<number | undefined>;
}

export type InstallResult =
  | { status: 'installed'; manifest: WeekManifest; downloaded: number; bytes: number }
  | { status: 'unchanged'; manifest: WeekManifest }
  | { status: 'not-published' };

/** A server answer (or a file) that install cannot use; the previous version of the week stays. */
export class InstallError extends Error {
  override readonly name = 'InstallError';
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** The week's new files will not fit on the device: nothing was downloaded, the previous version stays. */
export class NoRoomError extends InstallError {
  constructor(
    readonly neededBytes: number,
    readonly freeBytes: number,
  ) {
    super(`needs ${neededBytes} bytes, ${freeBytes} free`);
  }
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** Brings the device's copy of (classId, week) up to date. Rejects with InstallError or TransportError. */
export async function installWeek(deps: InstallDeps, classId: string, week: string): Promise<InstallResult> {
  const installed = await deps.weeks.get(classId, week);
  const headers: Record<string, string> = { ...deps.headers };
  if (installed) headers['if-none-match'] = installed.etag;
  const res = await deps.transport.send({ method: 'GET', path: weekManifestUrl(classId, week), headers });
  if (res.status === 304 && installed) return { status: 'unchanged', manifest: installed.manifest };
  if (res.status === 404) return { status: 'not-published' };
  if (res.status !== 200) throw new InstallError(`manifest answered ${res.status}`, res.status);
  const etag = res.headers.etag;
  if (!etag) throw new InstallError('manifest answered without an ETag');
  const signed = {
    text: decoder.decode(res.body),
    signature: res.headers[MANIFEST_SIGNATURE_HEADER] ?? '',
    keyId: res.headers[MANIFEST_KEY_HEADER] ?? '',
  };
  const manifest = await checkSigned(deps, signed);
  if (manifest.classId !== classId || manifest.week !== week) throw new InstallError('manifest is for another week');
  return installChecked(deps, manifest, signed, etag, async (sha256) => {
    const fileRes = await deps.transport.send({ method: 'GET', path: fileUrl(sha256) });
    if (fileRes.status !== 200) throw new InstallError(`file ${sha256} answered ${fileRes.status}`, fileRes.status);
    return fileRes.body;
  });
}

/**
 * Checks a manifest's signature with a key the device holds (asking the server for its keys, when a transport is
 * given and the key is new to the device) and its shape; returns the parsed manifest.
 */
export async function checkSigned(
  deps: Pick<InstallDeps, 'keys' | 'verifier'> & { transport?: Transport },
  signed: SignedManifest,
): Promise<WeekManifest> {
  if (!signed.signature || !signed.keyId) throw new InstallError('manifest is not signed');
  let publicKey = await deps.keys.get(signed.keyId);
  if (!publicKey && deps.transport) {
    await refreshKeys({ keys: deps.keys, transport: deps.transport });
    publicKey = await deps.keys.get(signed.keyId);
  }
  if (!publicKey) throw new InstallError('manifest is signed with a key this device does not know');
  if (!(await deps.verifier.verify(publicKey, encoder.encode(signed.text), signed.signature)))
    throw new InstallError('manifest signature does not match');
  let parsed: unknown;
  try {
    parsed = JSON.parse(signed.text);
  } catch {
    throw new InstallError('manifest is not JSON');
  }
  if (!isWeekManifest(parsed)) throw new InstallError('manifest does not have the expected shape');
  return parsed;
}

/**
 * Asks the server for its public keys and keeps them (GET /api/keys needs no sign-in). Answers the key it asks
 * devices to seal homework to, for the caller to keep (storage/record-sealing.ts), when it publishes one.
 */
export async function refreshKeys(
  deps: Pick<InstallDeps, 'keys' | 'transport'>,
): Promise<{ sealing?: { keyId: string; publicKey: string } }> {
  const res = await deps.transport.send({ method: 'GET', path: keysUrl() });
  if (res.status !== 200) throw new InstallError(`keys answered ${res.status}`, res.status);
  let body: unknown;
  try {
    body = JSON.parse(decoder.decode(res.body));
  } catch {
    throw new InstallError('keys are not JSON');
  }
  const { keys, sealing } = body as { keys?: unknown; sealing?: { keyId?: unknown; publicKey?: unknown } };
  if (!Array.isArray(keys)) throw new InstallError('keys do not have the expected shape');
  await deps.keys.putAll(
    keys.flatMap((k: { keyId?: unknown; publicKey?: unknown }) =>
      typeof k.keyId === 'string' && typeof k.publicKey === 'string'
        ? [{ keyId: k.keyId, publicKey: k.publicKey }]
        : [],
    ),
  );
  return typeof sealing?.keyId === 'string' && typeof sealing.publicKey === 'string'
    ? { sealing: { keyId: sealing.keyId, publicKey: sealing.publicKey } }
    : {};
}

/**
 * The second half of an install, for a manifest already checked: store each missing file (its hash checked) as it
 * comes from `fetchFile`, then switch the week in one put.
 */
export async function installChecked(
  deps: Pick<InstallDeps, 'files' | 'weeks' | 'hasher' | 'clock' | 'onProgress' | 'freeBytes'>,
  manifest: WeekManifest,
  signed: SignedManifest,
  etag: string,
  fetchFile: (sha256: string) => Promise<Uint8Array>,
): Promise<Extract<InstallResult, { status: 'installed' }>> {
  const wanted = missingFiles(manifest, new Set());
  const present = await deps.files.hasMany(wanted.map((f) => f.sha256));
  const missing = missingFiles(manifest, present);
  // Said before the first byte, rather than failing half-way with the storage full: a little margin for the records.
  const needed = missing.reduce((sum, f) => sum + f.size, 0);
  const free = needed > 0 ? await deps.freeBytes?.() : undefined;
  if (free !== undefined && needed * 1.1 > free) throw new NoRoomError(needed, free);
  let done = wanted.length - missing.length;
  let bytes = 0;
  deps.onProgress?.(done, wanted.length);
  for (const file of missing) {
    const body = await fetchFile(file.sha256);
    const actual = await deps.hasher.sha256Hex(body);
    if (actual !== file.sha256) throw new InstallError(`file ${file.sha256} does not match its hash`);
    await deps.files.put({ sha256: file.sha256, type: file.type, bytes: body });
    bytes += body.byteLength;
    done += 1;
    deps.onProgress?.(done, wanted.length);
  }
  await deps.weeks.put({ manifest, etag, installedAt: deps.clock.now(), signed });
  return { status: 'installed', manifest, downloaded: missing.length, bytes };
}
