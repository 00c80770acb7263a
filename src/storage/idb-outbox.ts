/** IndexedDB adapters of the outbox ports: the queue, its files' bytes, and the per-server backoff. */
import { isOutboxItem } from '../sync/outbox-guard.ts';
import type { OutboxEntry, OutboxItem, OutboxStore, ServerBackoff, StoredFile, SyncStateStore } from '../sync/ports.ts';
import type { CartableDb } from './db.ts';

/**
 * Writes a pupil's work to the queue: the item and its files' bytes (and, when it came from a draft, the draft's
 * removal) in one transaction, flushed to disk before it resolves. A failed write (quota, duplicate id) aborts all.
 */
export async function queueWork(
  db: CartableDb,
  item: OutboxItem,
  files: StoredFile[],
  fromDraft?: string,
): Promise<void> {
  const tx = db.transaction(['outbox', 'outboxFiles', 'drafts'], 'readwrite', { durability: 'strict' });
  const writes = [
    tx.objectStore('outbox').add(item),
    ...files.map((f) =>
      tx
        .objectStore('outboxFiles')
        .put({ sha256: f.sha256, type: f.type, size: f.bytes.byteLength, bytes: f.bytes.slice().buffer }),
    ),
    ...(fromDraft === undefined ? [] : [tx.objectStore('drafts').delete(fromDraft)]),
  ];
  // Every request settles before the transaction does; wait for all so none rejects unobserved.
  const settled = await Promise.allSettled([...writes, tx.done]);
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
}

export class IdbOutboxStore implements OutboxStore {
  constructor(private readonly db: CartableDb) {}

  async add(item: OutboxItem, files: StoredFile[]): Promise<void> {
    await queueWork(this.db, item, files);
  }

  async get(id: string): Promise<OutboxItem | undefined> {
    const record: unknown = await this.db.get('outbox', id);
    return isOutboxItem(record) ? record : undefined;
  }

  async list(): Promise<OutboxEntry[]> {
    const records: unknown[] = await this.db.getAllFromIndex('outbox', 'byCreated');
    const keys = await this.db.getAllKeysFromIndex('outbox', 'byCreated');
    // Records without a createdAt are not in the index: read them too, so a damaged record is never invisible.
    const all = await this.db.getAllKeys('outbox');
    const indexed = new Set(keys);
    const entries: OutboxEntry[] = records.map((record, i) =>
      isOutboxItem(record)
        ? { ok: true, item: record }
        : { ok: false, id: String(keys[i]), reason: 'unreadable record' },
    );
    for (const key of all) if (!indexed.has(key)) entries.push({ ok: false, id: key, reason: 'unreadable record' });
    return entries;
  }

  async update(id: string, change: (item: OutboxItem) => OutboxItem | undefined): Promise<OutboxItem | undefined> {
    // State changes need no flush: if one is lost, the item is sent again and the server's idempotent PUT answers
    // the same receipt.
    const tx = this.db.transaction('outbox', 'readwrite', { durability: 'relaxed' });
    const current: unknown = await tx.store.get(id);
    const next = isOutboxItem(current) ? change(current) : undefined;
    if (next) await tx.store.put(next);
    await tx.done;
    return next;
  }

  async remove(id: string, allowed: (item: OutboxItem) => boolean): Promise<boolean> {
    const tx = this.db.transaction('outbox', 'readwrite');
    const current: unknown = await tx.store.get(id);
    const ok = isOutboxItem(current) && allowed(current);
    if (ok) await tx.store.delete(id);
    await tx.done;
    return ok;
  }

  async fileBytes(sha256: string): Promise<Uint8Array | undefined> {
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
