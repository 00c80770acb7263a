/**
 * Where the bytes of content-addressed files live. One interface; the local data directory by default. The
 * database records which files exist; this stores their bytes. A file is written whole before it is visible.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

export interface FileStorage {
  /** Stores bytes under their hash (the caller checked it); durable before it resolves. Idempotent. */
  put(sha256: string, bytes: Uint8Array): Promise<void>;
  /** A stream of the bytes, or undefined when absent. */
  read(sha256: string): Promise<Readable | undefined>;
}

const SHA256 = /^[0-9a-f]{64}$/;

/** Files under DATA_DIR/files/ab/abcdef…: the name is the hash, never a user-supplied name. */
export class LocalFileStorage implements FileStorage {
  constructor(private readonly root: string) {}

  private pathOf(sha256: string): string {
    if (!SHA256.test(sha256)) throw new Error('not a sha256');
    return join(this.root, sha256.slice(0, 2), sha256);
  }

  async put(sha256: string, bytes: Uint8Array): Promise<void> {
    const path = this.pathOf(sha256);
    if (await exists(path)) return;
    await mkdir(join(this.root, sha256.slice(0, 2)), { recursive: true });
    // A name of its own for every write: the same file uploaded by several requests at once (within a millisecond)
    // must not share a temporary file. The renames then replace equal bytes with equal bytes.
    const tmp = `${path}.${randomUUID()}.tmp`;
    const handle = await open(tmp, 'w');
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  }

  async read(sha256: string): Promise<Readable | undefined> {
    const path = this.pathOf(sha256);
    return (await exists(path)) ? createReadStream(path) : undefined;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
