/**
 * Publishing a week: stores the attached files by content, then writes a new immutable version of the week's
 * manifest. Correcting a week publishes version n+1; nothing published is ever changed.
 */
import { createHash } from 'node:crypto';
import type { Assignment, FileRef, Lesson, WeekManifest } from '../protocol/schemas.ts';
import { upsertAssignments } from './db/homework-queries.ts';
import { findFile, findPublication, insertWeekVersion, maxWeekVersion, recordFile } from './db/queries.ts';
import type { Db } from './db/schema.ts';
import type { FileStorage } from './files/file-storage.ts';
import { OneAtATime } from './one-at-a-time.ts';
import { currentSigningKey, signText } from './receipts.ts';

export interface UploadedFile {
  name: string;
  type: string;
  bytes: Uint8Array;
}

export interface PublishInput {
  classId: string;
  className: string;
  week: string;
  lessons: (Omit<Lesson, 'attachments'> & { attachments: UploadedFile[] })[];
  assignments: Assignment[];
  releaseAt?: string;
}

export const sha256Hex = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex');

/**
 * Stores a lesson file's bytes under their hash (the caller checked it) and records it once; true when this call
 * recorded it. The same file stored by several requests at once is written and recorded once for all of them.
 */
export async function storeFileBytes(
  db: Db,
  storage: FileStorage,
  file: { sha256: string; bytes: Uint8Array; type: string },
  nowIso: string,
): Promise<boolean> {
  if (await findFile(db, file.sha256)) return false;
  await storage.put(file.sha256, file.bytes);
  return recordFile(db, { sha256: file.sha256, size: file.bytes.byteLength, type: file.type, createdAt: nowIso });
}

/** Stores a file by its hash (once) and returns its reference. */
export async function storeFile(db: Db, storage: FileStorage, file: UploadedFile, nowIso: string): Promise<FileRef> {
  const sha256 = sha256Hex(file.bytes);
  await storeFileBytes(db, storage, { sha256, bytes: file.bytes, type: file.type }, nowIso);
  return { sha256, name: file.name, type: file.type, size: file.bytes.byteLength };
}

/** A week whose attachments are already stored on the server (uploaded by the teacher, or by storeFile). */
export interface StoredWeekInput extends Omit<PublishInput, 'lessons'> {
  lessons: Lesson[];
  /** The client's id for this publication: publishing again with the same id returns the same version. */
  publishId?: string;
  /**
   * The version this publication was edited from (0 for a new week). When given and the week is at another version,
   * nothing is written: StaleBase says which version to merge with. Absent: publish over whatever is there (seed).
   */
  baseVersion?: number;
}

/** A publication edited from a version that is no longer the week's newest: merge, then publish again. */
export class StaleBase extends Error {
  constructor(
    readonly baseVersion: number,
    readonly currentVersion: number,
  ) {
    super(`stale base ${baseVersion}, current ${currentVersion}`);
  }
}

/** Publishes the next version of a week from files given as bytes (the demo seed, tests) and returns its manifest. */
export async function publishWeek(db: Db, storage: FileStorage, input: PublishInput, now: Date): Promise<WeekManifest> {
  const nowIso = now.toISOString();
  const lessons: Lesson[] = [];
  for (const lesson of input.lessons) {
    const attachments: FileRef[] = [];
    for (const file of lesson.attachments) attachments.push(await storeFile(db, storage, file, nowIso));
    lessons.push({ ...lesson, attachments });
  }
  return (await publishStoredWeek(db, { ...input, lessons }, now)).manifest;
}

/**
 * Publishes the next version of a week whose files are stored: signs the manifest's exact text (Ed25519) and writes
 * the version, with the week's assignments, in one transaction. With a publishId already used for this week, returns
 * that publication instead (a teacher's Publish retried by the outbox publishes once).
 */
export async function publishStoredWeek(
  db: Db,
  input: StoredWeekInput,
  now: Date,
): Promise<{ manifest: WeekManifest; etag: string; created: boolean }> {
  // One week's publications are numbered one at a time in this process; across instances, a version number taken
  // meanwhile is retried below. (Twenty at once on PostgreSQL used to run out of retries and answer 500.)
  const result = await weekPublications.run(`${input.classId}/${input.week}`, () => publishInTurn(db, input, now));
  if (result === 'busy') throw new Error('unreachable: the publication queue has no bound');
  return result;
}

/** Publications of one week waiting in this process: no bound (each is a teacher's work, and they are few). */
const weekPublications = new OneAtATime(Number.POSITIVE_INFINITY);
/** Tries for a version number when other instances publish the same week at the same moment. */
const VERSION_TRIES = 25;

async function publishInTurn(
  db: Db,
  input: StoredWeekInput,
  now: Date,
): Promise<{ manifest: WeekManifest; etag: string; created: boolean }> {
  const nowIso = now.toISOString();
  // The same publication sent again (before, or at the same moment): answer what it published.
  const earlier = async () => {
    const row = input.publishId && (await findPublication(db, input.classId, input.week, input.publishId));
    return row ? { manifest: JSON.parse(row.manifest) as WeekManifest, etag: row.etag, created: false } : undefined;
  };
  const before = await earlier();
  if (before) return before;
  const key = await currentSigningKey(db, nowIso);
  for (let attempt = 0; ; attempt++) {
    const current = await maxWeekVersion(db, input.classId, input.week);
    // Never over a version the teacher has not seen: another device or teacher published meanwhile. Checked again on
    // every try, so a version taken by another instance between this read and the insert is seen too.
    if (input.baseVersion !== undefined && input.baseVersion !== current)
      throw new StaleBase(input.baseVersion, current);
    const version = current + 1;
    const manifest: WeekManifest = {
      format: 1,
      classId: input.classId,
      className: input.className,
      week: input.week,
      version,
      publishedAt: nowIso,
      lessons: input.lessons,
      assignments: input.assignments,
    };
    const text = JSON.stringify(manifest);
    const etag = `"${sha256Hex(text)}"`;
    try {
      await db.transaction().execute(async (tx) => {
        await insertWeekVersion(tx, {
          class_id: input.classId,
          week: input.week,
          version,
          manifest: text,
          etag,
          published_at: nowIso,
          release_at: input.releaseAt ?? null,
          signature: signText(key, text),
          key_id: key.keyId,
          publish_id: input.publishId ?? null,
        });
        await upsertAssignments(
          tx,
          input.assignments.map((a) => ({
            class_id: input.classId,
            week: input.week,
            assignment_id: a.id,
            title: a.title,
            due_at: a.dueAt,
          })),
        );
      });
      return { manifest, etag, created: true };
    } catch (err) {
      // Two publications of the same week at once took the same version number: the loser takes the next one; the
      // same publishId sent twice at once is one publication.
      const meanwhile = await earlier();
      if (meanwhile) return meanwhile;
      if (attempt >= VERSION_TRIES) throw err;
      // Another instance took this number: try the next after a short random wait, so racing instances part.
      await new Promise((r) => setTimeout(r, Math.random() * 10 * (attempt + 1)));
    }
  }
}
