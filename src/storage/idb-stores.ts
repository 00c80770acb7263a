/** IndexedDB adapters of the sync core's week, file, key and prefetch-state ports. */
import type { PrefetchState, PrefetchStateStore } from '../sync/prefetch.ts';
import type { FileStore, InstalledWeek, KeyStore, StoredFile, WeekStore } from '../sync/ports.ts';
import type { CartableDb } from './db.ts';

/** Installed weeks, one record per (class, week): a put replaces the version in one transaction. */
export class IdbWeekStore implements WeekStore {
  constructor(private readonly db: CartableDb) {}
  async get(classId: string, week: string): Promise<InstalledWeek | undefined> {
    const record = await this.db.get('weeks', [classId, week]);
    return record && strip(record);
  }
  async put(week: InstalledWeek): Promise<void> {
    await this.db.put('weeks', { ...week, classId: week.manifest.classId, week: week.manifest.week });
  }
  async list(classId: string): Promise<InstalledWeek[]> {
    return (await this.db.getAllFromIndex('weeks', 'byClass', classId)).map(strip);
  }
  async listAll(): Promise<InstalledWeek[]> {
    return (await this.db.getAll('weeks')).map(strip);
  }
  async remove(classId: string, week: string): Promise<void> {
    await this.db.delete('weeks', [classId, week]);
  }
}

function strip(record: InstalledWeek): InstalledWeek {
  const week: InstalledWeek = { manifest: record.manifest, etag: record.etag, installedAt: record.installedAt };
  if (record.signed) week.signed = record.signed;
  return week;
}

/** Content-addressed files; shared by every profile on the device (lessons are the class's, not a pupil's). */
export class IdbFileStore implements FileStore {
  constructor(private readonly db: CartableDb) {}
  async hasMany(sha256s: readonly string[]): Promise<Set<string>> {
    const tx = this.db.transaction('files');
    const keys = await Promise.all(sha256s.map((s) => tx.store.getKey(s)));
    await tx.done;
    return new Set(keys.filter((k): k is string => k !== undefined));
  }
  async put(file: StoredFile): Promise<void> {
    const bytes = file.bytes.slice().buffer;
    await this.db.put('files', { sha256: file.sha256, type: file.type, size: file.bytes.byteLength, bytes });
  }
  async get(sha256: string): Promise<StoredFile | undefined> {
    const record = await this.db.get('files', sha256);
    return record && { sha256: record.sha256, type: record.type, bytes: new Uint8Array(record.bytes) };
  }
  async keys(): Promise<string[]> {
    return this.db.getAllKeys('files');
  }
  async remove(sha256s: readonly string[]): Promise<void> {
    const tx = this.db.transaction('files', 'readwrite');
    await Promise.all([...sha256s.map((s) => tx.store.delete(s)), tx.done]);
  }
}

/** The server's public keys, pinned on the device so weeks can be checked offline (imports). */
export class IdbKeyStore implements KeyStore {
  constructor(private readonly db: CartableDb) {}
  async get(keyId: string): Promise<string | undefined> {
    return (await this.db.get('keys', keyId))?.publicKey;
  }
  async putAll(keys: readonly { keyId: string; publicKey: string }[]): Promise<void> {
    const tx = this.db.transaction('keys', 'readwrite');
    // A key id already pinned keeps its key: a server cannot swap the key behind an id it published.
    const writes = keys.map(async (k) => {
      if (!(await tx.store.getKey(k.keyId))) await tx.store.put({ keyId: k.keyId, publicKey: k.publicKey });
    });
    await Promise.all([...writes, tx.done]);
  }
}

/** What the device remembers of its prefetch checks, per class. */
export class IdbPrefetchStateStore implements PrefetchStateStore {
  constructor(private readonly db: CartableDb) {}
  async get(classId: string): Promise<PrefetchState | undefined> {
    return this.db.get('prefetch', classId);
  }
  async put(state: PrefetchState): Promise<void> {
    await this.db.put('prefetch', state);
  }
}
