/**
 * The ports of the sync core: everything impure comes in through these small interfaces, so the same code runs in
 * the page, the service worker, the unit tests (fakes) and the load simulation (simulated time).
 */
import type { WeekContent } from './week-merge.ts';
import type { FeedbackBody, PublishBody, WeekManifest } from '../protocol/schemas.ts';

/** Time, injected so tests and simulations control it. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms` of this clock's time. */
  sleep(ms: number): Promise<void>;
}

/** A source of uniform numbers in [0, 1), injected so jitter is reproducible in tests. */
export interface Random {
  next(): number;
}

/** One HTTP exchange, reduced to what the core needs. */
export interface TransportRequest {
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'DELETE';
  path: string;
  headers?: Record<string, string>;
  body?: Uint8Array | string;
}

/** A response: status, lower-case headers, body bytes. A network failure rejects instead (TransportError). */
export interface TransportResponse {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array;
}

/** Sends requests to the lesson server. Must reject with TransportError when no answer came back. */
export interface Transport {
  send(request: TransportRequest): Promise<TransportResponse>;
}

/** No HTTP answer at all: offline, connection refused, timeout. Always retryable. */
export class TransportError extends Error {
  override readonly name = 'TransportError';
}

/** SHA-256 of bytes as lower-case hex (WebCrypto in browsers, node:crypto in tools). */
export interface Hasher {
  sha256Hex(bytes: Uint8Array): Promise<string>;
}

/** A stored file of a week, addressed by content. */
export interface StoredFile {
  sha256: string;
  type: string;
  bytes: Uint8Array;
}

/** Content-addressed file store on the device, shared by every profile. */
export interface FileStore {
  /** Which of these hashes are already stored. */
  hasMany(sha256s: readonly string[]): Promise<Set<string>>;
  /** Stores a file whose hash the caller has checked; storing the same hash twice is a no-op. */
  put(file: StoredFile): Promise<void>;
  /** The file, or undefined when this device does not hold it. */
  get(sha256: string): Promise<StoredFile | undefined>;
  /** Every stored hash. */
  keys(): Promise<string[]>;
  /** Deletes these files (eviction of weeks the device no longer keeps). */
  remove(sha256s: readonly string[]): Promise<void>;
}

/** The installed version of one class's week on the device. */
export interface InstalledWeek {
  manifest: WeekManifest;
  etag: string;
  installedAt: number;
  /** The manifest exactly as signed, with its signature: what an export carries. Absent on weeks installed before
   * manifests were signed. */
  signed?: SignedManifest;
}

/** A manifest's exact text and the server's Ed25519 signature over its UTF-8 bytes. */
export interface SignedManifest {
  text: string;
  signature: string;
  keyId: string;
}

/** Installed weeks: each week switches from one version to the next in one step (put). */
export interface WeekStore {
  get(classId: string, week: string): Promise<InstalledWeek | undefined>;
  /** Must replace the previous version atomically: a reader sees the old one or the new one, never a mix. */
  put(week: InstalledWeek): Promise<void>;
  list(classId: string): Promise<InstalledWeek[]>;
  /** Every installed week of every class. */
  listAll(): Promise<InstalledWeek[]>;
  remove(classId: string, week: string): Promise<void>;
}

/** The server's public keys (SPKI DER, base64) by key id, kept on the device so a week can be checked offline. */
export interface KeyStore {
  get(keyId: string): Promise<string | undefined>;
  putAll(keys: readonly { keyId: string; publicKey: string }[]): Promise<void>;
}

/** Checks an Ed25519 signature (WebCrypto in browsers and workers). */
export interface SignatureVerifier {
  /** True when `signature` (base64url) is the key's signature of `data`; false for a bad or malformed one. */
  verify(publicKey: string, data: Uint8Array, signature: string): Promise<boolean>;
}

/** Where a homework item stands. pending → sending → received | refused | conflict; sending → pending on a retry. */
export type OutboxState = 'pending' | 'sending' | 'received' | 'refused' | 'conflict';

/** A file attached to homework: its bytes stay on the device (OutboxStore.fileBytes) until the server has them. */
export interface OutboxFile {
  sha256: string;
  name: string;
  type: string;
  size: number;
}

/**
 * What a queued item is, and so which sender carries it (outbox-senders.ts): a pupil's homework, a teacher's
 * publication of a week, a teacher's return of a copy, a pupil's read mark of a return.
 */
export type OutboxKind = 'homework' | 'publication' | 'feedback' | 'seen';

/** An item's kind; records written before kinds existed are homework, or a publication when they carry one. */
export const kindOf = (item: Pick<OutboxItem, 'kind' | 'publication'>): OutboxKind =>
  item.kind ?? (item.publication ? 'publication' : 'homework');

/** A teacher's return of a pupil's copy, as queued (the PUT /api/feedback/{id} body). */
export interface QueuedFeedback {
  submissionId: string;
  pupilName: string;
  comment: string;
  assessment: FeedbackBody['assessment'];
  writtenAt: string;
}

/**
 * One write queued on the device: homework, a publication, a return of a copy, a read mark (`kind`). The id is its
 * idempotency key on the server. The homework fields (class, week, assignment, text, files) are every kind's
 * envelope: a return and a read mark carry the copy's class, week and assignment, and their own text.
 */
export interface OutboxItem {
  id: string;
  /** Absent on records written before kinds existed: read through kindOf. */
  kind?: OutboxKind;
  /** The pupil who wrote it: it is only ever sent with their credentials. */
  owner: string;
  classId: string;
  week: string;
  assignmentId: string;
  assignmentTitle: string;
  text: string;
  files: OutboxFile[];
  /** When the pupil pressed Envoyer, on the device's clock (ISO). */
  submittedAt: string;
  /** Device clock, ms: the queue's order. */
  createdAt: number;
  /** Not sent before this time (device clock, ms): work created in the server's peak hours (send-peaks.ts). */
  notBefore?: number;
  state: OutboxState;
  attempts: number;
  lastError?: string;
  receipt?: { payload: string; signature: string; receivedAt: string };
  /**
   * Why the server (or the device) will not take it: a stable code the app words in the pupil's language
   * (src/protocol/error-codes.ts); `message` is the server's own sentence, a fallback only; `file` names the file.
   */
  refusal?: { status: number; error: string; message: string; currentVersion?: number; file?: string };
  /**
   * Set when the item is a teacher's publication of a week rather than homework: its files go to the lesson files,
   * and this body to the week's publications under the item's id (src/server/routes/publishing.ts).
   */
  publication?: PublishBody;
  /**
   * What the publication was edited from (the week at `publication.baseVersion`, or a publication of this device
   * still on its way): when the server has moved on, the outbox merges with this as the common ancestor.
   */
  publicationBase?: WeekContent;
  /** Set on a teacher's return of a copy (kind 'feedback'). */
  feedback?: QueuedFeedback;
  /** Set on a pupil's read mark (kind 'seen'): which return they opened, and when. */
  seen?: { feedbackId: string; seenAt: string };
  /** The version the server gave a publication. */
  published?: { version: number; publishedAt?: string };
  /** Set when the item is stored sealed: it is sent as that ciphertext, which only the server can open. */
  wire?: WireSeal;
  /** Set when read while its owner's profile is locked: text, title and names are blank, sending still works. */
  locked?: true;
}

/** Homework kept as ciphertext on the device and sent as such (SEAL_HEADER in src/protocol/paths.ts). */
export interface WireSeal {
  /** `v1.<keyId>.<epk>.<iv>.<wrapped>`: the item's body key sealed to the server; a request appends `.<its iv>`. */
  key: string;
  /** The submission's JSON body, encrypted under the body key, and its IV. */
  body: Uint8Array;
  bodyIv: string;
  /** The IV of each attached file's ciphertext, by the SHA-256 of its plain bytes. */
  fileIvs: Record<string, string>;
}

/** A record read back from storage: an item, or one that cannot be read (shown as an error, never dropped). */
export type OutboxEntry = { ok: true; item: OutboxItem } | { ok: false; id: string; reason: string };

/** The device's queue of homework. */
export interface OutboxStore {
  /** Saves the item and its files' bytes in one transaction: all of it is on the device, or none. */
  add(item: OutboxItem, files: StoredFile[]): Promise<void>;
  get(id: string): Promise<OutboxItem | undefined>;
  /** Every record, oldest first. */
  list(): Promise<OutboxEntry[]>;
  /** Read-modify-write in one transaction; `change` returns undefined to leave the item as it is. */
  update(id: string, change: (item: OutboxItem) => OutboxItem | undefined): Promise<OutboxItem | undefined>;
  /**
   * `update` for several items at once (a batch changing state together), as few transactions as the store can:
   * the items changed, in the order of `ids`; unknown ids and those `change` leaves alone are not in it. A sealing
   * store may hand `change` (and return) items `locked`, without their private fields: for changes of state.
   */
  updateMany(ids: readonly string[], change: (item: OutboxItem) => OutboxItem | undefined): Promise<OutboxItem[]>;
  /** Deletes the item if `allowed(item)`, in one transaction; true when it was deleted. */
  remove(id: string, allowed: (item: OutboxItem) => boolean): Promise<boolean>;
  /** The bytes of a file attached to `item`, kept on the device until sent (ciphertext for a sealed item). */
  fileBytes(sha256: string, item: string): Promise<Uint8Array | undefined>;
}

/** One backoff per server, persisted so it survives reloads, restarts and service-worker termination. */
export interface ServerBackoff {
  /** Consecutive failed attempts (0 = the server answered last time). */
  failures: number;
  /** No request before this time (device clock, ms). */
  nextAttemptAt: number;
  lastError?: string;
  /** The server's recovery period (ms), from the last answer that carried one. */
  recoveryPeriodMs?: number;
  /** This device's fixed phase in that period, in [0, 1): drawn once, kept. */
  phase?: number;
  /** The spread (ms) the server advised with its last refusal. */
  lastSpreadMs?: number;
  /** The last time the server answered this device anything (device clock, ms). */
  lastContactAt?: number;
  /** When this device comes back after a silence, on its own phase (set once per silence; see outbox.ts). */
  rejoinAt?: number;
}

export interface SyncStateStore {
  getBackoff(): Promise<ServerBackoff>;
  putBackoff(state: ServerBackoff): Promise<void>;
}

/** One drainer at a time across tabs and the service worker (Web Locks in browsers). */
export interface ExclusiveLock {
  /** Runs `fn` if no one else holds the lock; otherwise resolves { ran: false } at once. */
  tryRun<T>(fn: () => Promise<T>): Promise<{ ran: true; value: T } | { ran: false }>;
}
