/** In-memory fakes of every port, for unit tests and the simulations. Deterministic by construction. */
import type {
  Clock,
  FileStore,
  InstalledWeek,
  KeyStore,
  OutboxEntry,
  OutboxItem,
  OutboxStore,
  Random,
  ServerBackoff,
  StoredFile,
  SyncStateStore,
  Transport,
  TransportRequest,
  TransportResponse,
  WeekStore,
} from './ports.ts';
import { TransportError } from './ports.ts';
import type { PrefetchState, PrefetchStateStore } from './prefetch.ts';

/** A clock that moves only when told; sleepers wake in time order as it advances. */
export class FakeClock implements Clock {
  private sleepers: { at: number; seq: number; wake: () => void }[] = [];
  private seq = 0;
  constructor(private current = 0) {}
  now(): number {
    return this.current;
  }
  sleep(ms: number): Promise<void> {
    return new Promise((wake) => {
      this.sleepers.push({ at: this.current + Math.max(0, ms), seq: this.seq++, wake });
    });
  }
  /** Moves time forward by ms, waking every sleeper due on the way (and letting their continuations run). */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    for (;;) {
      this.sleepers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.sleepers[0];
      if (!next || next.at > target) break;
      this.sleepers.shift();
      this.current = next.at;
      next.wake();
      await flushMicrotasks();
    }
    this.current = target;
    await flushMicrotasks();
  }
  /** How many sleepers are waiting. */
  get pending(): number {
    return this.sleepers.length;
  }
}

async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

/** mulberry32: a small seeded generator, good enough for jitter and simulations. */
export class SeededRandom implements Random {
  constructor(private state: number) {}
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

/** A transport that answers from a handler and records every request; `offline` makes every send fail. */
export class FakeTransport implements Transport {
  readonly log: TransportRequest[] = [];
  offline = false;
  constructor(private handler: (req: TransportRequest) => TransportResponse | Promise<TransportResponse>) {}
  async send(request: TransportRequest): Promise<TransportResponse> {
    this.log.push(request);
    if (this.offline) throw new TransportError('offline');
    return this.handler(request);
  }
}

/** Builds a response from JSON or bytes. */
export function response(status: number, body: unknown = '', headers: Record<string, string> = {}): TransportResponse {
  const bytes =
    body instanceof Uint8Array
      ? body
      : new TextEncoder().encode(typeof body === 'string' ? body : JSON.stringify(body));
  return { status, headers, body: bytes };
}

export class MemoryFileStore implements FileStore {
  readonly files = new Map<string, StoredFile>();
  async hasMany(sha256s: readonly string[]): Promise<Set<string>> {
    return new Set(sha256s.filter((s) => this.files.has(s)));
  }
  async put(file: StoredFile): Promise<void> {
    if (!this.files.has(file.sha256)) this.files.set(file.sha256, { ...file, bytes: file.bytes.slice() });
  }
  async get(sha256: string): Promise<StoredFile | undefined> {
    return this.files.get(sha256);
  }
  async keys(): Promise<string[]> {
    return [...this.files.keys()];
  }
  async remove(sha256s: readonly string[]): Promise<void> {
    for (const s of sha256s) this.files.delete(s);
  }
}

export class MemoryWeekStore implements WeekStore {
  private readonly weeks = new Map<string, InstalledWeek>();
  async get(classId: string, week: string): Promise<InstalledWeek | undefined> {
    const found = this.weeks.get(`${classId}/${week}`);
    return found ? clone(found) : undefined;
  }
  async put(week: InstalledWeek): Promise<void> {
    this.weeks.set(`${week.manifest.classId}/${week.manifest.week}`, clone(week));
  }
  async list(classId: string): Promise<InstalledWeek[]> {
    return [...this.weeks.values()].filter((w) => w.manifest.classId === classId).map(clone);
  }
  async listAll(): Promise<InstalledWeek[]> {
    return [...this.weeks.values()].map(clone);
  }
  async remove(classId: string, week: string): Promise<void> {
    this.weeks.delete(`${classId}/${week}`);
  }
}

export class MemoryKeyStore implements KeyStore {
  readonly keys = new Map<string, string>();
  async get(keyId: string): Promise<string | undefined> {
    return this.keys.get(keyId);
  }
  async putAll(keys: readonly { keyId: string; publicKey: string }[]): Promise<void> {
    for (const k of keys) if (!this.keys.has(k.keyId)) this.keys.set(k.keyId, k.publicKey);
  }
}

export class MemoryPrefetchStateStore implements PrefetchStateStore {
  readonly states = new Map<string, PrefetchState>();
  async get(classId: string): Promise<PrefetchState | undefined> {
    const s = this.states.get(classId);
    return s && clone(s);
  }
  async put(state: PrefetchState): Promise<void> {
    this.states.set(state.classId, clone(state));
  }
}

/**
 * A deep copy of stored data, as IndexedDB's structured clone makes one (undefined fields kept, unlike a JSON round
 * trip): plain objects and arrays copied field by field, anything else structured-cloned. A JSON round trip here was
 * a third of bench:herd's time.
 */
function clone<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v: unknown) => clone(v)) as T;
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return structuredClone(value);
  const copy: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) copy[k] = clone(v);
  return copy as T;
}

/** The outbox in memory; `corrupt` ids are listed as unreadable records, as a damaged database would. */
export class MemoryOutboxStore implements OutboxStore {
  readonly items = new Map<string, OutboxItem>();
  readonly bytes = new Map<string, Uint8Array>();
  readonly corrupt = new Set<string>();
  async add(item: OutboxItem, files: StoredFile[]): Promise<void> {
    if (this.items.has(item.id)) throw new Error(`outbox item ${item.id} exists`);
    for (const f of files) this.bytes.set(f.sha256, f.bytes.slice());
    this.items.set(item.id, clone(item));
  }
  async get(id: string): Promise<OutboxItem | undefined> {
    const item = this.items.get(id);
    return item ? clone(item) : undefined;
  }
  async list(): Promise<OutboxEntry[]> {
    const ok: OutboxEntry[] = [...this.items.values()]
      .sort((a, b) => a.createdAt - b.createdAt)
      .map((item) => ({ ok: true, item: clone(item) }));
    return [...ok, ...[...this.corrupt].map((id) => ({ ok: false as const, id, reason: 'unreadable record' }))];
  }
  async update(id: string, change: (item: OutboxItem) => OutboxItem | undefined): Promise<OutboxItem | undefined> {
    const current = this.items.get(id);
    const next = current && change(clone(current));
    if (!next) return undefined;
    this.items.set(id, clone(next));
    return clone(next);
  }
  async updateMany(
    ids: readonly string[],
    change: (item: OutboxItem) => OutboxItem | undefined,
  ): Promise<OutboxItem[]> {
    const changed: OutboxItem[] = [];
    for (const id of ids) {
      const next = await this.update(id, change);
      if (next) changed.push(next);
    }
    return changed;
  }
  async remove(id: string, allowed: (item: OutboxItem) => boolean): Promise<boolean> {
    const current = this.items.get(id);
    if (!current || !allowed(clone(current))) return false;
    this.items.delete(id);
    // Its files' bytes go too, unless another item holds the same file.
    for (const f of current.files)
      if (![...this.items.values()].some((i) => i.files.some((o) => o.sha256 === f.sha256)))
        this.bytes.delete(f.sha256);
    return true;
  }
  async fileBytes(sha256: string): Promise<Uint8Array | undefined> {
    return this.bytes.get(sha256)?.slice();
  }
}

export class MemorySyncStateStore implements SyncStateStore {
  private state: ServerBackoff = { failures: 0, nextAttemptAt: 0 };
  async getBackoff(): Promise<ServerBackoff> {
    return { ...this.state };
  }
  async putBackoff(state: ServerBackoff): Promise<void> {
    this.state = { ...state };
  }
}

/** The lock of tests and simulations is the real in-process one. */
export { InProcessLock as MemoryLock } from './in-process-lock.ts';
