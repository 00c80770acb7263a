/** The queries of homework: assignments, uploads, submissions and their conflicting versions. */
import type { AssignmentsTable, Db, SubmissionsTable, SubmissionVersionsTable, UploadsTable } from './schema.ts';

/** Records (or updates to the newest version) the assignments of a published week. */
export async function upsertAssignments(db: Db, rows: AssignmentsTable[]): Promise<void> {
  for (const row of rows) {
    await db
      .insertInto('assignments')
      .values(row)
      .onConflict((oc) =>
        oc.columns(['class_id', 'week', 'assignment_id']).doUpdateSet({ title: row.title, due_at: row.due_at }),
      )
      .execute();
  }
}

export async function findAssignment(
  db: Db,
  classId: string,
  week: string,
  assignmentId: string,
): Promise<AssignmentsTable | undefined> {
  return db
    .selectFrom('assignments')
    .selectAll()
    .where('class_id', '=', classId)
    .where('week', '=', week)
    .where('assignment_id', '=', assignmentId)
    .executeTakeFirst();
}

/** The upload of `sha256`, if `userId` uploaded it: nobody learns whether someone else's file exists. */
export async function findOwnUpload(db: Db, sha256: string, userId: string): Promise<UploadsTable | undefined> {
  return db
    .selectFrom('uploads')
    .innerJoin('upload_owners', 'upload_owners.sha256', 'uploads.sha256')
    .selectAll('uploads')
    .where('uploads.sha256', '=', sha256)
    .where('upload_owners.user_id', '=', userId)
    .executeTakeFirst();
}

/** Which of these hashes `userId` has uploaded (a pupil attaches only their own files), with the type checked then. */
export async function ownUploadsAmong(db: Db, sha256s: string[], userId: string): Promise<Map<string, string>> {
  if (sha256s.length === 0) return new Map();
  const rows = await db
    .selectFrom('uploads')
    .innerJoin('upload_owners', 'upload_owners.sha256', 'uploads.sha256')
    .select(['uploads.sha256', 'uploads.type'])
    .where('uploads.sha256', 'in', sha256s)
    .where('upload_owners.user_id', '=', userId)
    .execute();
  return new Map(rows.map((r) => [r.sha256, r.type]));
}

/** The types the uploads of these hashes were checked as (for serving them), whoever uploaded them. */
export async function uploadTypes(db: Db, sha256s: string[]): Promise<Map<string, string>> {
  if (sha256s.length === 0) return new Map();
  const rows = await db.selectFrom('uploads').select(['sha256', 'type']).where('sha256', 'in', sha256s).execute();
  return new Map(rows.map((r) => [r.sha256, r.type]));
}

/**
 * Records an upload and that `row.uploader_id` uploaded it; idempotent and safe when the same file is uploaded by
 * several requests at once. True when this user had not uploaded it before.
 */
export async function recordUpload(db: Db, row: UploadsTable): Promise<boolean> {
  await db
    .insertInto('uploads')
    .values(row)
    .onConflict((oc) => oc.column('sha256').doNothing())
    .execute();
  const owned = await db
    .insertInto('upload_owners')
    .values({ sha256: row.sha256, user_id: row.uploader_id, created_at: row.created_at })
    .onConflict((oc) => oc.columns(['sha256', 'user_id']).doNothing())
    .executeTakeFirst();
  return Number(owned.numInsertedOrUpdatedRows ?? 0n) === 1;
}

export async function findSubmission(db: Db, id: string): Promise<SubmissionsTable | undefined> {
  return db.selectFrom('submissions').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Inserts a first version; false when the id exists already (another request won the race). */
export async function insertSubmission(db: Db, row: SubmissionsTable): Promise<boolean> {
  const result = await db
    .insertInto('submissions')
    .values(row)
    .onConflict((oc) => oc.column('id').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
}

/** Inserts first versions in one transaction (group commit); one result per row, as insertSubmission's. */
export async function insertSubmissions(db: Db, rows: SubmissionsTable[]): Promise<boolean[]> {
  return db.transaction().execute(async (tx) => {
    const inserted: boolean[] = [];
    for (const row of rows) inserted.push(await insertSubmission(tx, row));
    return inserted;
  });
}

/** Keeps another version that came with an existing id; the same content twice is stored once. */
export async function insertSubmissionVersion(db: Db, row: SubmissionVersionsTable): Promise<void> {
  await db
    .insertInto('submission_versions')
    .values(row)
    .onConflict((oc) => oc.columns(['submission_id', 'content_hash']).doNothing())
    .execute();
}

export async function submissionsOfAssignment(
  db: Db,
  classId: string,
  week: string,
  assignmentId: string,
): Promise<{ submissions: SubmissionsTable[]; versions: SubmissionVersionsTable[] }> {
  const submissions = await db
    .selectFrom('submissions')
    .selectAll()
    .where('class_id', '=', classId)
    .where('week', '=', week)
    .where('assignment_id', '=', assignmentId)
    .orderBy('received_at')
    .execute();
  const ids = submissions.map((s) => s.id);
  const versions = ids.length
    ? await db
        .selectFrom('submission_versions')
        .selectAll()
        .where('submission_id', 'in', ids)
        .orderBy('received_at')
        .execute()
    : [];
  return { submissions, versions };
}

export async function versionsOf(db: Db, submissionId: string): Promise<SubmissionVersionsTable[]> {
  return db.selectFrom('submission_versions').selectAll().where('submission_id', '=', submissionId).execute();
}

export async function pupilsOfClass(db: Db, classId: string): Promise<{ id: string; display_name: string }[]> {
  return db
    .selectFrom('class_pupils')
    .innerJoin('users', 'users.id', 'class_pupils.pupil_id')
    .select(['users.id', 'users.display_name'])
    .where('class_pupils.class_id', '=', classId)
    .orderBy('users.display_name')
    .execute();
}

/**
 * Every assignment a class was ever given, those later removed from their week included, with how many pupils
 * handed something in for each: handed-in work is never out of the teacher's reach.
 */
export async function assignmentsOfClass(
  db: Db,
  classId: string,
): Promise<(AssignmentsTable & { handed_in: number })[]> {
  const rows = await db
    .selectFrom('assignments')
    .leftJoin('submissions', (join) =>
      join
        .onRef('submissions.class_id', '=', 'assignments.class_id')
        .onRef('submissions.week', '=', 'assignments.week')
        .onRef('submissions.assignment_id', '=', 'assignments.assignment_id'),
    )
    .select((eb) => [
      'assignments.class_id',
      'assignments.week',
      'assignments.assignment_id',
      'assignments.title',
      'assignments.due_at',
      eb.fn.count<number | string | bigint>('submissions.pupil_id').distinct().as('handed_in'),
    ])
    .where('assignments.class_id', '=', classId)
    .groupBy([
      'assignments.class_id',
      'assignments.week',
      'assignments.assignment_id',
      'assignments.title',
      'assignments.due_at',
    ])
    .orderBy('assignments.week', 'desc')
    .orderBy('assignments.due_at')
    .execute();
  // PostgreSQL counts as bigint (a string in pg), SQLite as a number.
  return rows.map((r) => ({ ...r, handed_in: Number(r.handed_in) }));
}
