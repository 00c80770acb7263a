/** IndexedDB adapters of the sync core's WeekStore and FileStore ports. */
import type { FileStore, InstalledWeek, StoredFile, WeekStore } from '../sync/ports.ts';
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
}

function strip(record: InstalledWeek): InstalledWeek {
  return { manifest: record.manifest, etag: record.etag, installedAt: record.installedAt };
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
}
