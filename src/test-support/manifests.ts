/** Test helpers: manifests with real bytes and real hashes, and a Node hasher. */
import { createHash } from 'node:crypto';
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
