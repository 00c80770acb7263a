/**
 * Cartable's IndexedDB database on the device. One typed schema, one entry point, forward-only upgrades.
 * Shared by the page and the service worker.
 */
import { type DBSchema, type IDBPDatabase, openDB } from 'idb';
import type { PrefetchState } from '../sync/prefetch.ts';
import type { InstalledWeek, ServerBackoff } from '../sync/ports.ts';

/** Persisted names and versions: never rename, only add a version and an upgrade step. */
export const DB_NAME = 'cartable';
export const DB_VERSION = 3;

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
  /** Set when the server refused the token (expired, revoked): pending homework waits for a new sign-in. */
  rejected?: boolean;
}

export interface CartableSchema extends DBSchema {
  weeks: {
    key: [string, string];
    value: InstalledWeek & { classId: string; week: string };
    indexes: { byClass: string };
  };
  files: { key: string; value: FileRecord };
  session: { key: string; value: SessionRecord };
  /** Homework queued on the device. Values are checked when read (isOutboxItem): a damaged record is listed as such. */
  outbox: { key: string; value: unknown; indexes: { byCreated: number } };
  /** Bytes of files attached to queued homework, by SHA-256. */
  outboxFiles: { key: string; value: FileRecord };
  /** The per-server backoff of the outbox drain. */
  syncState: { key: string; value: ServerBackoff & { key: string } };
  drafts: { key: string; value: DraftRecord };
  /** The server's public keys (SPKI DER, base64), pinned by key id. */
  keys: { key: string; value: { keyId: string; publicKey: string } };
  /** Prefetch checks, per class. */
  prefetch: { key: string; value: PrefetchState };
  /** This device: its id and, once registered, its seat (prefetch slots). */
  device: { key: string; value: DeviceRecord };
}

export interface DeviceRecord {
  key: 'this';
  id: string;
  seat?: number;
}

/** A draft of homework, saved as the pupil types; the chosen files' bytes are kept with it. */
export interface DraftRecord {
  /** `${owner}/${classId}/${week}/${assignmentId}` */
  key: string;
  owner: string;
  text: string;
  files: { sha256: string; name: string; type: string; size: number; bytes: ArrayBuffer }[];
  updatedAt: number;
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
  2: (db) => {
    db.createObjectStore('outbox', { keyPath: 'id' }).createIndex('byCreated', 'createdAt');
    db.createObjectStore('outboxFiles', { keyPath: 'sha256' });
    db.createObjectStore('syncState', { keyPath: 'key' });
    db.createObjectStore('drafts', { keyPath: 'key' });
  },
  3: (db) => {
    db.createObjectStore('keys', { keyPath: 'keyId' });
    db.createObjectStore('prefetch', { keyPath: 'classId' });
    db.createObjectStore('device', { keyPath: 'key' });
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
