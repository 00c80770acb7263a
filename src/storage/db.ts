/**
 * Cartable's IndexedDB database on the device. One typed schema, one entry point, forward-only upgrades.
 * Shared by the page and the service worker.
 */
import { type DBSchema, type IDBPDatabase, openDB } from 'idb';
import type { InstalledWeek } from '../sync/ports.ts';

/** Persisted names and versions: never rename, only add a version and an upgrade step. */
export const DB_NAME = 'cartable';
export const DB_VERSION = 1;

/** A stored file: bytes kept as an ArrayBuffer, which every IndexedDB implementation can clone. */
export interface FileRecord {
  sha256: string;
  type: string;
  size: number;
  bytes: ArrayBuffer;
}

/** The signed-in account on this device (one for now; per-profile with shared devices). */
export interface SessionRecord {
  id: 'current';
  token: string;
  expiresAt: string;
  user: { id: string; displayName: string; role: string };
  classes: { id: string; name: string; schoolName: string; timeZone: string }[];
}

export interface CartableSchema extends DBSchema {
  weeks: {
    key: [string, string];
    value: InstalledWeek & { classId: string; week: string };
    indexes: { byClass: string };
  };
  files: { key: string; value: FileRecord };
  session: { key: string; value: SessionRecord };
}

export type CartableDb = IDBPDatabase<CartableSchema>;

/** Upgrade steps by target version; each runs once, in order, from the device's version to DB_VERSION. */
const upgrades: Record<number, (db: IDBPDatabase<CartableSchema>) => void> = {
  1: (db) => {
    const weeks = db.createObjectStore('weeks', { keyPath: ['classId', 'week'] });
    weeks.createIndex('byClass', 'classId');
    db.createObjectStore('files', { keyPath: 'sha256' });
    db.createObjectStore('session', { keyPath: 'id' });
  },
};

/** Opens (and upgrades) the device database. Must reject when the browser refuses storage. */
export function openCartableDb(name = DB_NAME): Promise<CartableDb> {
  return openDB<CartableSchema>(name, DB_VERSION, {
    upgrade(db, oldVersion) {
      for (let v = oldVersion + 1; v <= DB_VERSION; v++) upgrades[v]?.(db);
    },
  });
}
