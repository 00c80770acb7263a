/** Test helpers: manifests with real bytes and real hashes, signed with a real Ed25519 key, and a Node hasher. */
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import {
  fileUrl,
  keysUrl,
  MANIFEST_KEY_HEADER,
  MANIFEST_SIGNATURE_HEADER,
  weekManifestUrl,
} from '../protocol/paths.ts';
import { response } from '../sync/fakes.ts';
import type { FileRef, WeekManifest } from '../protocol/schemas.ts';
import type { Hasher } from '../sync/ports.ts';

export const nodeHasher: Hasher = {
  async sha256Hex(bytes) {
    return createHash('sha256').update(bytes).digest('hex');
  },
};

/** A file reference and its bytes. */
export function makeFile(name: string, content: string, type = 'text/plain'): { ref: FileRef; bytes: Uint8Array } {
  const bytes = new TextEncoder().encode(content);
  return {
    ref: { sha256: createHash('sha256').update(bytes).digest('hex'), name, type, size: bytes.byteLength },
    bytes,
  };
}

/** A week with one lesson per attachment list. */
export function makeManifest(version: number, lessonsFiles: FileRef[][], week = '2026-W48'): WeekManifest {
  return {
    format: 1,
    classId: 'cm2b',
    className: 'CM2 B',
    week,
    version,
    publishedAt: '2026-11-20T18:00:00.000Z',
    lessons: lessonsFiles.map((attachments, i) => ({
      id: `l${i + 1}`,
      title: `Leçon ${i + 1}`,
      order: i + 1,
      body: `# Leçon ${i + 1} (v${version})`,
      attachments,
    })),
    assignments: [{ id: 'a1', title: 'Exercices', instructions: 'Page 12', dueAt: '2026-11-27T16:00:00.000Z' }],
  };
}

/** A server's Ed25519 key in tests: signs manifests the way src/server/publish.ts does. */
export function testSigner(keyId = 'test-key') {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const publicKeyBase64 = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  const signText = (text: string) => sign(null, Buffer.from(text), privateKey).toString('base64url');
  return {
    keyId,
    publicKey: publicKeyBase64,
    signText,
    /** The manifest's text and the headers a server sends with it. */
    signed(manifestOrText: WeekManifest | string, etag: string) {
      const text = typeof manifestOrText === 'string' ? manifestOrText : JSON.stringify(manifestOrText);
      return {
        text,
        headers: { etag, [MANIFEST_SIGNATURE_HEADER]: signText(text), [MANIFEST_KEY_HEADER]: keyId },
      };
    },
    keysReply: () => ({ keys: [{ keyId, algorithm: 'Ed25519', publicKey: publicKeyBase64 }] }),
  };
}

/**
 * A fake lesson server's handler for FakeTransport: the signer's keys, the current signed manifest of each week
 * (ETag "<week>v<version>", 304 on a match) and files by hash.
 */
export function fakeWeekServer(
  signer: ReturnType<typeof testSigner>,
  weeks: () => WeekManifest[],
  files: { ref: { sha256: string }; bytes: Uint8Array }[],
) {
  return (req: { path: string; headers?: Record<string, string> }) => {
    if (req.path === keysUrl()) return response(200, signer.keysReply());
    for (const m of weeks()) {
      if (req.path !== weekManifestUrl(m.classId, m.week)) continue;
      const etag = `"${m.week}v${m.version}"`;
      if (req.headers?.['if-none-match'] === etag) return response(304);
      const { text, headers } = signer.signed(m, etag);
      return response(200, text, headers);
    }
    const file = files.find((f) => req.path === fileUrl(f.ref.sha256));
    return file ? response(200, file.bytes) : response(404, { error: 'not_found', message: 'no such file' });
  };
}
