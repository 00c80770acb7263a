/** Returned copies (migration 0007): one row per version, never updated but for the pupil's first read. */
import type { Db, FeedbackTable } from './schema.ts';

export async function findFeedback(db: Db, id: string): Promise<FeedbackTable | undefined> {
  return db.selectFrom('feedback').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * Stores a new version of a copy's feedback: the next version number of its submission. False when the id was
 * already stored (the caller reads it back); a race for the same version number with another id is retried.
 */
export async function insertFeedback(db: Db, row: Omit<FeedbackTable, 'version'>): Promise<FeedbackTable | false> {
  for (let tries = 0; tries < 8; tries++) {
    const last = await db
      .selectFrom('feedback')
      .select((eb) => eb.fn.max<number | string | null>('version').as('version'))
      .where('submission_id', '=', row.submission_id)
      .executeTakeFirst();
    const version = Number(last?.version ?? 0) + 1;
    const full = { ...row, version };
    // Without a conflict target: neither the id nor (submission, version) taken, on both backends.
    const result = await db
      .insertInto('feedback')
      .values(full)
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    if (Number(result.numInsertedOrUpdatedRows ?? 0n) === 1) return full;
    if (await findFeedback(db, row.id)) return false;
  }
  throw new Error('feedback version kept colliding');
}

/** Every version of the returns on these rows, newest first per copy. */
const versionsWhere = (db: Db) =>
  db.selectFrom('feedback').selectAll().orderBy('submission_id').orderBy('version', 'desc');

/** The newest version of each of the pupil's returned copies. */
export async function latestFeedbackOfPupil(db: Db, pupilId: string): Promise<FeedbackTable[]> {
  return newestOfEach(await versionsWhere(db).where('pupil_id', '=', pupilId).execute());
}

/** The newest version of the feedback on each of these submissions. */
export async function latestFeedbackOf(db: Db, submissionIds: readonly string[]): Promise<Map<string, FeedbackTable>> {
  if (submissionIds.length === 0) return new Map();
  const rows = await versionsWhere(db).where('submission_id', 'in', submissionIds).execute();
  return new Map(newestOfEach(rows).map((r) => [r.submission_id, r]));
}

function newestOfEach(rows: FeedbackTable[]): FeedbackTable[] {
  const seen = new Set<string>();
  return rows.filter((r) => !seen.has(r.submission_id) && seen.add(r.submission_id));
}

/** Keeps the first time the pupil opened this version; true when the feedback is theirs. */
export async function markFeedbackSeen(db: Db, id: string, pupilId: string, seenAt: string): Promise<boolean> {
  await db
    .updateTable('feedback')
    .set({ seen_at: seenAt })
    .where('id', '=', id)
    .where('pupil_id', '=', pupilId)
    .where('seen_at', 'is', null)
    .execute();
  const row = await db
    .selectFrom('feedback')
    .select('id')
    .where('id', '=', id)
    .where('pupil_id', '=', pupilId)
    .executeTakeFirst();
  return row !== undefined;
}
