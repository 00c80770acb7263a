/** IndexedDB adapters of the outbox ports: the queue, its files' bytes, and the per-server backoff. */
import { isOutboxItem } from '../sync/outbox-guard.ts';
import type { OutboxEntry, OutboxItem, OutboxStore, ServerBackoff, StoredFile, SyncStateStore } from '../sync/ports.ts';
import type { CartableDb } from './db.ts';
import {
  lockedView,
  openRecord,
  resealRecord,
  type Sealing,
  sealNewItem,
  type StoredOutboxRecord,
} from './record-sealing.ts';

/**
 * Writes a pupil's work to the queue: the item and its files' bytes (and, when it came from a draft, the draft's
 * removal) in one transaction, flushed to disk before it resolves. A failed write (quota, duplicate id) aborts all.
 * The item is sealed first (record-sealing.ts): IndexedDB transactions cannot wait for WebCrypto.
 */
export async function queueWork(
  db: CartableDb,
  sealing: Sealing | undefined,
  item: OutboxItem,
  files: StoredFile[],
  fromDraft?: string,
): Promise<void> {
  const sealed = sealing && (await sealNewItem(sealing, item, files));
  const tx = db.transaction(['outbox', 'outboxFiles', 'sealedFiles', 'drafts'], 'readwrite', { durability: 'strict' });
  const fileWrites = sealed
    ? sealed.sealedFiles.map((f) => tx.objectStore('sealedFiles').put(f))
    : files.map((f) =>
        tx
          .objectStore('outboxFiles')
          .put({ sha256: f.sha256, type: f.type, size: f.bytes.byteLength, bytes: f.bytes.slice().buffer }),
      );
  const writes = [
    tx.objectStore('outbox').add(sealed ? sealed.record : item),
    ...fileWrites,
    ...(fromDraft === undefined ? [] : [tx.objectStore('drafts').delete(fromDraft)]),
  ];
  // Every request settles before the transaction does; wait for all so none rejects unobserved.
  const settled = await Promise.allSettled([...writes, tx.done]);
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
}

const asRecord = (v: unknown): StoredOutboxRecord | undefined => (isOutboxItem(v) ? v : undefined);

/**
 * The queue in IndexedDB. Records of a profile that is not unlocked in this page come back `locked` (blank private
 * fields): the runner can still send them. Read-modify-write runs optimistically (read, open, change, reseal, then
 * write only if the record was not changed meanwhile), because a transaction cannot span WebCrypto's promises.
 */
export class IdbOutboxStore implements OutboxStore {
  constructor(
    private readonly db: CartableDb,
    private readonly sealing?: Sealing,
  ) {}

  private open(record: StoredOutboxRecord): Promise<OutboxItem> {
    return this.sealing ? openRecord(this.sealing, record) : Promise.resolve(record);
  }

  async add(item: OutboxItem, files: StoredFile[]): Promise<void> {
    await queueWork(this.db, this.sealing, item, files);
  }

  async get(id: string): Promise<OutboxItem | undefined> {
    const record = asRecord(await this.db.get('outbox', id));
    return record && this.open(record);
  }

  async list(): Promise<OutboxEntry[]> {
    const records: unknown[] = await this.db.getAllFromIndex('outbox', 'byCreated');
    const keys = await this.db.getAllKeysFromIndex('outbox', 'byCreated');
    // Records without a createdAt are not in the index: read them too, so a damaged record is never invisible.
    const all = await this.db.getAllKeys('outbox');
    const indexed = new Set(keys);
    const entries: OutboxEntry[] = await Promise.all(
      records.map(async (value, i): Promise<OutboxEntry> => {
        const record = asRecord(value);
        return record
          ? { ok: true, item: await this.open(record) }
          : { ok: false, id: String(keys[i]), reason: 'unreadable record' };
      }),
    );
    for (const key of all) if (!indexed.has(key)) entries.push({ ok: false, id: key, reason: 'unreadable record' });
    return entries;
  }

  /** Reads a record and its item; writes `next(record, item)` only if the record is unchanged, else tries again. */
  private async change<T>(
    id: string,
    decide: (
      record: StoredOutboxRecord,
      item: OutboxItem,
    ) => Promise<{ write: StoredOutboxRecord | 'delete' | undefined; result: T }>,
    absent: T,
  ): Promise<T> {
    for (;;) {
      const record = asRecord(await this.db.get('outbox', id));
      if (!record) return absent;
      const { write, result } = await decide(record, await this.open(record));
      if (write === undefined) return result;
      // State changes need no flush: if one is lost, the item is sent again and the server's idempotent PUT answers
      // the same receipt.
      const tx = this.db.transaction(['outbox', 'sealedFiles', 'outboxFiles'], 'readwrite', { durability: 'relaxed' });
      const now = asRecord(await tx.objectStore('outbox').get(id));
      if (!now || now.rev !== record.rev || now.state !== record.state || now.attempts !== record.attempts) {
        await tx.done;
        if (!now) return absent;
        continue;
      }
      if (write === 'delete') {
        await tx.objectStore('outbox').delete(id);
        for (const f of record.files) await tx.objectStore('sealedFiles').delete([id, f.sha256]);
        // A withdrawn item frees its bytes on the device, unless another queued item holds the same file.
        const others = (await tx.objectStore('outbox').getAll()).flatMap((r) => asRecord(r)?.files ?? []);
        for (const f of record.files)
          if (!others.some((o) => o.sha256 === f.sha256)) await tx.objectStore('outboxFiles').delete(f.sha256);
      } else await tx.objectStore('outbox').put(write);
      await tx.done;
      return result;
    }
  }

  async update(id: string, change: (item: OutboxItem) => OutboxItem | undefined): Promise<OutboxItem | undefined> {
    return this.change(
      id,
      async (record, item) => {
        const next = change(item);
        if (!next) return { write: undefined, result: undefined };
        const write = this.sealing ? await resealRecord(this.sealing, record, next) : next;
        return { write, result: next };
      },
      undefined,
    );
  }

  /**
   * Reads the records in one transaction, decides outside it (resealing a receipt awaits WebCrypto, which would end
   * a transaction), then writes every one still unchanged in one transaction; one changed meanwhile (another tab
   * withdrew it, the worker settled it) goes through `update`, which reads it again. `change` gets each item's locked
   * view (no private fields, no decryption: a drain changes states), as the service worker sees every record.
   */
  async updateMany(
    ids: readonly string[],
    change: (item: OutboxItem) => OutboxItem | undefined,
  ): Promise<OutboxItem[]> {
    const read = this.db.transaction('outbox', 'readonly');
    const records = (await Promise.all(ids.map((id) => read.store.get(id)))).map(asRecord);
    await read.done;
    const decided = await Promise.all(
      records.map(async (record) => {
        if (!record) return undefined;
        const next = change(lockedView(record));
        if (!next) return undefined;
        const write = this.sealing ? await resealRecord(this.sealing, record, next) : next;
        return { record, next, write };
      }),
    );
    const planned = decided.filter((d) => d !== undefined);
    if (planned.length === 0) return [];
    const tx = this.db.transaction('outbox', 'readwrite', { durability: 'relaxed' });
    const moved: string[] = [];
    for (const { record, write } of planned) {
      const now = asRecord(await tx.store.get(record.id));
      if (!now || now.rev !== record.rev || now.state !== record.state || now.attempts !== record.attempts)
        moved.push(record.id);
      else await tx.store.put(write);
    }
    await tx.done;
    const again = new Map<string, OutboxItem | undefined>();
    for (const id of moved) again.set(id, await this.update(id, change));
    return planned.flatMap(({ record, next }) => {
      const settled = again.has(record.id) ? again.get(record.id) : next;
      return settled ? [settled] : [];
    });
  }

  async remove(id: string, allowed: (item: OutboxItem) => boolean): Promise<boolean> {
    return this.change(
      id,
      async (_record, item) =>
        allowed(item) ? { write: 'delete', result: true } : { write: undefined, result: false },
      false,
    );
  }

  async fileBytes(sha256: string, item: string): Promise<Uint8Array | undefined> {
    const sealed = await this.db.get('sealedFiles', [item, sha256]);
    if (sealed) return new Uint8Array(sealed.bytes);
    const record = await this.db.get('outboxFiles', sha256);
    return record && new Uint8Array(record.bytes);
  }
}

const BACKOFF_KEY = 'server-backoff';

export class IdbSyncStateStore implements SyncStateStore {
  constructor(private readonly db: CartableDb) {}
  async getBackoff(): Promise<ServerBackoff> {
    const record = await this.db.get('syncState', BACKOFF_KEY);
    if (!record) return { failures: 0, nextAttemptAt: 0 };
    const { key: _key, ...backoff } = record;
    return backoff;
  }
  async putBackoff(state: ServerBackoff): Promise<void> {
    await this.db.put('syncState', { ...state, key: BACKOFF_KEY });
  }
}
