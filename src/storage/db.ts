/**
 * Cartable's IndexedDB database on the device. One typed schema, one entry point, forward-only upgrades.
 * Shared by the page and the service worker.
 */
import { type DBSchema, type IDBPDatabase, openDB } from 'idb';
import type { FeedbackView } from '../protocol/schemas.ts';
import type { PrefetchState } from '../sync/prefetch.ts';
import type { InstalledWeek, ServerBackoff } from '../sync/ports.ts';
import type { PasswordWrapped, Sealed } from './crypto-box.ts';

/** Persisted names and versions: never rename, only add a version and an upgrade step. */
export const DB_NAME = 'cartable';
export const DB_VERSION = 7;

/** A stored file: bytes kept as an ArrayBuffer, which every IndexedDB implementation can clone. */
export interface FileRecord {
  sha256: string;
  type: string;
  size: number;
  bytes: ArrayBuffer;
}

/** The signed-in account of versions 1-3 (one per device, token in clear): still read, never written. */
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
  drafts: { key: string; value: DraftRecord | SealedDraft };
  /** The server's public keys (SPKI DER, base64), pinned by key id. */
  keys: { key: string; value: { keyId: string; publicKey: string } };
  /** Prefetch checks, per class. */
  prefetch: { key: string; value: PrefetchState };
  /** This device: its id and, once registered, its seat (prefetch slots); and how the school set it up. */
  device: { key: string; value: DeviceRecord | DeviceConfig | ServerSealingKey };
  /** One profile per account used on this device (profiles.ts). */
  profiles: { key: string; value: ProfileRecord };
  /** Bytes of files attached to sealed homework, encrypted under the item's body key, by item and hash. */
  sealedFiles: { key: [string, string]; value: SealedFileRecord };
  /** A pupil's returned copies as last fetched, with the answer's ETag; sealed to their profile (feedback-store.ts). */
  feedback: { key: string; value: FeedbackRecord };
  /** The copies of an assignment a teacher opened, kept to mark them offline; sealed to the teacher's profile. */
  copies: { key: string; value: CopiesRecord };
  /** Files returned with a pupil's copies, encrypted under a key sealed to their profile, by owner and hash. */
  feedbackFiles: { key: [string, string]; value: FeedbackFileRecord };
}

/** A returned file on the device: AES-256-GCM ciphertext, its key sealed to the owner's profile (or plain bytes). */
export interface FeedbackFileRecord {
  owner: string;
  sha256: string;
  iv?: string;
  key?: Sealed;
  bytes: ArrayBuffer;
}

/** A teacher's last answer of an assignment's copies (`${owner}/${classId}/${week}/${assignmentId}`). */
export interface CopiesRecord {
  key: string;
  owner: string;
  savedAt: number;
  /** The AssignmentSubmissionsReply, sealed to the owner's profile (plain when the profile has no key). */
  sealed?: Sealed;
  reply?: unknown;
}

/** The returns of an owner's copies (GET /api/feedback), plain or sealed to the owner's profile. */
export interface FeedbackRecord {
  owner: string;
  /** The answer's ETag: the next fetch sends it and costs a 304 when nothing changed. */
  etag: string;
  fetchedAt: number;
  feedback?: FeedbackView[];
  sealed?: Sealed;
}

/** The server's newest ECDH key (GET /api/keys), to which homework is sealed on this device. */
export interface ServerSealingKey {
  key: 'sealing';
  keyId: string;
  publicKey: string;
}

/** How the device was set up: shared (profile picker, PINs) or personal; the school it belongs to. */
export interface DeviceConfig {
  key: 'config';
  shared: boolean;
  schoolId?: string;
  schoolName?: string;
}

export interface SealedFileRecord {
  item: string;
  sha256: string;
  /** AES-GCM ciphertext under the item's body key: exactly the bytes sent, with the seal header. */
  bytes: ArrayBuffer;
}

/**
 * An account on this device. Everything private is sealed to `publicKey`; the private key is wrapped by the PIN and
 * by the card secret (shared devices), or kept as a key that cannot be exported (a personal device).
 */
export interface ProfileRecord {
  userId: string;
  user: { id: string; displayName: string; role: string };
  classes: { id: string; name: string; schoolName: string; timeZone: string }[];
  publicKey: string;
  privateKey:
    | { kind: 'wrapped'; byPin: PasswordWrapped; bySecret: PasswordWrapped }
    | { kind: 'stored'; key: CryptoKey };
  /** Wrong PINs in a row, and the end of the lock they caused (device clock, ms). */
  pinFailures: number;
  lockedUntil: number;
  /** May only send this account's queued work and fetch its classes' weeks: usable while the pupil is away. */
  deviceToken?: string;
  deviceExpiresAt?: string;
  /** The server refused the device token: queued work waits for the next sign-in. */
  deviceRejected?: boolean;
  /** Access and refresh tokens, sealed to the profile; absent once signed out. */
  session?: Sealed;
  lastUsedAt: number;
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

/** A draft sealed to its owner's profile (record-sealing.ts). */
export interface SealedDraft {
  key: string;
  owner: string;
  updatedAt: number;
  sealed: Sealed;
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
  4: (db) => {
    db.createObjectStore('profiles', { keyPath: 'userId' });
    db.createObjectStore('sealedFiles', { keyPath: ['item', 'sha256'] });
  },
  5: (db) => {
    db.createObjectStore('feedback', { keyPath: 'owner' });
  },
  6: (db) => {
    db.createObjectStore('copies', { keyPath: 'key' });
  },
  7: (db) => {
    db.createObjectStore('feedbackFiles', { keyPath: ['owner', 'sha256'] });
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
