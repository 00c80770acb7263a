/**
 * Homework drafts, saved as the pupil types (sealed to their profile), and the two moves between a draft and the
 * outbox: submit (draft → queued item, one transaction) and edit (pending item → draft).
 */
import { isOutboxItem } from '../sync/outbox-guard.ts';
import type { OutboxItem, StoredFile } from '../sync/ports.ts';
import type { CartableDb, DraftRecord } from './db.ts';
import { queueWork } from './idb-outbox.ts';
import {
  openDraft,
  openItemFile,
  openRecord,
  type Sealing,
  sealDraft,
  type StoredOutboxRecord,
} from './record-sealing.ts';

export const draftKey = (owner: string, classId: string, week: string, assignmentId: string): string =>
  `${owner}/${classId}/${week}/${assignmentId}`;

export class DraftStore {
  constructor(
    private readonly db: CartableDb,
    private readonly sealing?: Sealing,
  ) {}

  /** The draft, or undefined when there is none or its owner's profile is locked in this page. */
  async get(key: string): Promise<DraftRecord | undefined> {
    const stored = await this.db.get('drafts', key);
    if (!stored) return undefined;
    if (!this.sealing) return 'sealed' in stored ? undefined : stored;
    return openDraft(this.sealing, stored);
  }

  async save(draft: DraftRecord): Promise<void> {
    await this.db.put('drafts', this.sealing ? await sealDraft(this.sealing, draft) : draft);
  }

  /** Queues the item with its files and deletes the draft, in one transaction. */
  async submit(key: string, item: OutboxItem, files: StoredFile[]): Promise<void> {
    // Flushed to disk before the page may say "Enregistré sur cet appareil".
    await queueWork(this.db, this.sealing, item, files, key);
  }

  /**
   * Takes a pending or refused item back into the draft to edit it (a refused one to correct it). Resolves false
   * (and changes nothing) when the item is being sent or was received, or cannot be read here.
   */
  async edit(id: string, key: string): Promise<boolean> {
    const record: unknown = await this.db.get('outbox', id);
    const editable = (state: string) => state === 'pending' || state === 'refused';
    if (!isOutboxItem(record) || !editable(record.state)) return false;
    const stored = record as StoredOutboxRecord;
    const item = this.sealing ? await openRecord(this.sealing, stored) : stored;
    if (item.locked) return false;
    const files: DraftRecord['files'] = [];
    for (const f of item.files) {
      const sealedFile = await this.db.get('sealedFiles', [id, f.sha256]);
      const bytes = sealedFile
        ? this.sealing && (await openItemFile(this.sealing, stored, sealedFile))
        : (await this.db.get('outboxFiles', f.sha256))?.bytes;
      if (bytes) files.push({ ...f, bytes: bytes instanceof Uint8Array ? bytes.slice().buffer : bytes });
    }
    const draft: DraftRecord = { key, owner: item.owner, text: item.text, files, updatedAt: Date.now() };
    const toStore = this.sealing ? await sealDraft(this.sealing, draft) : draft;
    // One transaction for the move, taken only if the item is still the pending one read above.
    const tx = this.db.transaction(['outbox', 'sealedFiles', 'drafts', 'outboxFiles'], 'readwrite');
    const now: unknown = await tx.objectStore('outbox').get(id);
    const unchanged =
      isOutboxItem(now) &&
      now.state === record.state &&
      (now as StoredOutboxRecord).rev === stored.rev &&
      now.attempts === stored.attempts;
    if (unchanged) {
      await tx.objectStore('drafts').put(toStore);
      await tx.objectStore('outbox').delete(id);
      for (const f of item.files) await tx.objectStore('sealedFiles').delete([id, f.sha256]);
      // The bytes now live in the draft: the queue's copy goes, unless another queued item holds the same file.
      const others = (await tx.objectStore('outbox').getAll()).flatMap((r) => (isOutboxItem(r) ? r.files : []));
      for (const f of item.files)
        if (!others.some((o) => o.sha256 === f.sha256)) await tx.objectStore('outboxFiles').delete(f.sha256);
    }
    await tx.done;
    return unchanged;
  }
}
