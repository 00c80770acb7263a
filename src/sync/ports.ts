/**
 * The ports of the sync core: everything impure comes in through these small interfaces, so the same code runs in
 * the page, the service worker, the unit tests (fakes) and the load simulation (simulated time).
 */
import type { WeekManifest } from '../protocol/schemas.ts';

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
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
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
}

/** The installed version of one class's week on the device. */
export interface InstalledWeek {
  manifest: WeekManifest;
  etag: string;
  installedAt: number;
}

/** Installed weeks: each week switches from one version to the next in one step (put). */
export interface WeekStore {
  get(classId: string, week: string): Promise<InstalledWeek | undefined>;
  /** Must replace the previous version atomically: a reader sees the old one or the new one, never a mix. */
  put(week: InstalledWeek): Promise<void>;
  list(classId: string): Promise<InstalledWeek[]>;
}
