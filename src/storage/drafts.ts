/**
 * Homework drafts, saved as the pupil types, and the two moves between a draft and the outbox, each in one
 * transaction so nothing is half-written: submit (draft → queued item) and edit (pending item → draft).
 */
import type { OutboxItem, StoredFile } from '../sync/ports.ts';
import { isOutboxItem } from '../sync/outbox-guard.ts';
import type { CartableDb, DraftRecord } from './db.ts';
import { queueWork } from './idb-outbox.ts';

export const draftKey = (owner: string, classId: string, week: string, assignmentId: string): string =>
  `${owner}/${classId}/${week}/${assignmentId}`;

export class DraftStore {
  constructor(private readonly db: CartableDb) {}

  async get(key: string): Promise<DraftRecord | undefined> {
    return this.db.get('drafts', key);
  }

  async save(draft: DraftRecord): Promise<void> {
    await this.db.put('drafts', draft);
  }

  /** Queues the item with its files and deletes the draft, in one transaction. */
  async submit(key: string, item: OutboxItem, files: StoredFile[]): Promise<void> {
    // Flushed to disk before the page may say "Enregistré sur cet appareil".
    await queueWork(this.db, item, files, key);
  }

  /**
   * Takes a pending item back into the draft to edit it, in one transaction. Resolves false (and changes nothing)
   * when the item is no longer pending: it is being sent or was sent.
   */
  async edit(id: string, key: string): Promise<boolean> {
    const tx = this.db.transaction(['outbox', 'outboxFiles', 'drafts'], 'readwrite');
    const record: unknown = await tx.objectStore('outbox').get(id);
    if (!isOutboxItem(record) || record.state !== 'pending') {
      await tx.done;
      return false;
    }
    const files: DraftRecord['files'] = [];
    for (const f of record.files) {
      const stored = await tx.objectStore('outboxFiles').get(f.sha256);
      if (stored) files.push({ ...f, bytes: stored.bytes });
    }
    await tx.objectStore('drafts').put({ key, owner: record.owner, text: record.text, files, updatedAt: Date.now() });
    await tx.objectStore('outbox').delete(id);
    await tx.done;
    return true;
  }
}
