/**
 * Installs one class's week on the device, atomically:
 *
 *   fetch manifest (If-None-Match: installed etag) ──304──> unchanged
 *        │200
 *        ▼
 *   download the files the device lacks, check each SHA-256, store each ──any failure──> throw; old version stays
 *        │all present
 *        ▼
 *   switch the week to the new manifest in one put ──> installed
 *
 * Files are stored one by one as they arrive, so an interrupted install resumes where it stopped; the week itself
 * switches only once everything it references is on the device, so a pupil never sees a half-updated week.
 */
import type { WeekManifest } from '../protocol/schemas.ts';
import { fileUrl, weekManifestUrl } from '../protocol/paths.ts';
import { isWeekManifest } from './manifest-guard.ts';
import { missingFiles } from './manifest-diff.ts';
import type { Clock, FileStore, Hasher, Transport, WeekStore } from './ports.ts';

export interface InstallDeps {
  transport: Transport;
  files: FileStore;
  weeks: WeekStore;
  hasher: Hasher;
  clock: Clock;
  /** Extra headers for the manifest request (the bearer token). */
  headers?: Record<string, string>;
  /** Called after each file is stored: done of total. */
  onProgress?: (done: number, total: number) => void;
}

export type InstallResult =
  | { status: 'installed'; manifest: WeekManifest; downloaded: number; bytes: number }
  | { status: 'unchanged'; manifest: WeekManifest }
  | { status: 'not-published' };

/** A server answer that install cannot use; the previous version of the week stays. */
export class InstallError extends Error {
  override readonly name = 'InstallError';
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

const decoder = new TextDecoder();

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
  const manifest = parseManifest(res.body);
  if (manifest.classId !== classId || manifest.week !== week) throw new InstallError('manifest is for another week');

  const wanted = missingFiles(manifest, new Set());
  const present = await deps.files.hasMany(wanted.map((f) => f.sha256));
  const missing = missingFiles(manifest, present);
  let done = wanted.length - missing.length;
  let bytes = 0;
  deps.onProgress?.(done, wanted.length);
  for (const file of missing) {
    const fileRes = await deps.transport.send({ method: 'GET', path: fileUrl(file.sha256) });
    if (fileRes.status !== 200)
      throw new InstallError(`file ${file.sha256} answered ${fileRes.status}`, fileRes.status);
    const actual = await deps.hasher.sha256Hex(fileRes.body);
    if (actual !== file.sha256) throw new InstallError(`file ${file.sha256} does not match its hash`);
    await deps.files.put({ sha256: file.sha256, type: file.type, bytes: fileRes.body });
    bytes += fileRes.body.byteLength;
    done += 1;
    deps.onProgress?.(done, wanted.length);
  }
  await deps.weeks.put({ manifest, etag, installedAt: deps.clock.now() });
  return { status: 'installed', manifest, downloaded: missing.length, bytes };
}

function parseManifest(body: Uint8Array): WeekManifest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(body));
  } catch {
    throw new InstallError('manifest is not JSON');
  }
  if (!isWeekManifest(parsed)) throw new InstallError('manifest does not have the expected shape');
  return parsed;
}
