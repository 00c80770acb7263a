/**
 * A week as one file, to carry on a USB key or a school share to a device with no network (docs/bundles.md):
 *
 *   CARTABLE-WEEK 1\n
 *   {"manifest": "<the manifest's exact text>", "signature": "…", "keyId": "…", "etag": "…",
 *    "files": [{"sha256": "…", "size": 123, "type": "image/png"}, …]}\n
 *   <the files' bytes, one after the other, in the order listed>
 *
 * Importing checks the same things as a download: the server's signature over the manifest (with a key the device
 * already holds: a file cannot bring its own), then each file's SHA-256; the week then switches in one step.
 */
import type { WeekManifest } from '../protocol/schemas.ts';
import { filesOf } from './manifest-diff.ts';
import type { FileStore, WeekStore } from './ports.ts';
import { checkSigned, type InstallDeps, InstallError, installChecked } from './week-install.ts';

export const BUNDLE_MAGIC = 'CARTABLE-WEEK 1\n';

interface BundleHeader {
  manifest: string;
  signature: string;
  keyId: string;
  etag: string;
  files: { sha256: string; size: number; type: string }[];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The installed week as one file. Rejects when the week is not on the device whole, or was never signed. */
export async function exportWeek(
  deps: { weeks: WeekStore; files: FileStore },
  classId: string,
  week: string,
): Promise<Uint8Array> {
  const installed = await deps.weeks.get(classId, week);
  if (!installed) throw new InstallError('this week is not on the device');
  if (!installed.signed) throw new InstallError('this week was installed before weeks were signed: update it first');
  const parts: Uint8Array[] = [];
  const files: BundleHeader['files'] = [];
  for (const ref of filesOf(installed.manifest)) {
    const file = await deps.files.get(ref.sha256);
    if (!file) throw new InstallError(`file ${ref.name} is missing on this device`);
    files.push({ sha256: ref.sha256, size: file.bytes.byteLength, type: file.type });
    parts.push(file.bytes);
  }
  const header: BundleHeader = {
    manifest: installed.signed.text,
    signature: installed.signed.signature,
    keyId: installed.signed.keyId,
    etag: installed.etag,
    files,
  };
  const head = encoder.encode(`${BUNDLE_MAGIC}${JSON.stringify(header)}\n`);
  const out = new Uint8Array(head.byteLength + parts.reduce((n, p) => n + p.byteLength, 0));
  out.set(head, 0);
  let at = head.byteLength;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

function readHeader(bytes: Uint8Array): { header: BundleHeader; bodyStart: number } {
  const magic = encoder.encode(BUNDLE_MAGIC);
  if (bytes.byteLength < magic.byteLength || magic.some((b, i) => bytes[i] !== b))
    throw new InstallError('this file is not a Cartable week');
  const end = bytes.indexOf(0x0a, magic.byteLength);
  if (end < 0) throw new InstallError('this file is cut short');
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(bytes.subarray(magic.byteLength, end)));
  } catch {
    throw new InstallError('this file is damaged');
  }
  const h = parsed as Partial<BundleHeader>;
  const valid =
    typeof h.manifest === 'string' &&
    typeof h.signature === 'string' &&
    typeof h.keyId === 'string' &&
    typeof h.etag === 'string' &&
    Array.isArray(h.files) &&
    h.files.every((f) => typeof f?.sha256 === 'string' && Number.isInteger(f.size) && f.size >= 0);
  if (!valid) throw new InstallError('this file is damaged');
  return { header: h as BundleHeader, bodyStart: end + 1 };
}

export type ImportResult = { status: 'installed' | 'already-newer'; manifest: WeekManifest };

/** Installs a week from an exported file, offline. Never replaces a newer version already on the device. */
export async function importWeek(
  deps: Pick<InstallDeps, 'keys' | 'verifier' | 'files' | 'weeks' | 'hasher' | 'clock' | 'onProgress'>,
  bytes: Uint8Array,
): Promise<ImportResult> {
  const { header, bodyStart } = readHeader(bytes);
  const signed = { text: header.manifest, signature: header.signature, keyId: header.keyId };
  // No transport: the key must already be on the device (a file cannot vouch for itself).
  const manifest = await checkSigned({ keys: deps.keys, verifier: deps.verifier }, signed);
  const installed = await deps.weeks.get(manifest.classId, manifest.week);
  if (installed && installed.manifest.version >= manifest.version)
    return { status: 'already-newer', manifest: installed.manifest };
  const slices = new Map<string, Uint8Array>();
  let at = bodyStart;
  for (const f of header.files) {
    if (at + f.size > bytes.byteLength) throw new InstallError('this file is cut short');
    slices.set(f.sha256, bytes.subarray(at, at + f.size));
    at += f.size;
  }
  await installChecked(deps, manifest, signed, header.etag, async (sha256) => {
    const slice = slices.get(sha256);
    if (!slice) throw new InstallError(`file ${sha256} is missing from this file`);
    return slice.slice();
  });
  return { status: 'installed', manifest };
}
