/**
 * Every query the routes make, in one place, written with Kysely so that another dialect (PostgreSQL) can serve the
 * same routes unchanged. Routes never build SQL themselves.
 */
import { sql } from 'kysely';
import type { Db, SchoolsTable, UsersTable, WeekVersionsTable } from './schema.ts';

export type UserRow = UsersTable;

/** True when the database answers a trivial query. */
export async function ping(db: Db): Promise<boolean> {
  const { rows } = await sql<{ ok: number }>`select 1 as ok`.execute(db);
  return rows[0]?.ok === 1;
}

export async function findUserByUsername(db: Db, username: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
}

export async function insertSession(
  db: Db,
  row: { tokenHash: string; userId: string; createdAt: string; expiresAt: string },
): Promise<void> {
  await db
    .insertInto('sessions')
    .values({ token_hash: row.tokenHash, user_id: row.userId, created_at: row.createdAt, expires_at: row.expiresAt })
    .execute();
}

/** The user of a live (not expired, not revoked) session. */
export async function findSessionUser(db: Db, tokenHash: string, nowIso: string): Promise<UserRow | undefined> {
  return db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .selectAll('users')
    .where('sessions.token_hash', '=', tokenHash)
    .where('sessions.revoked_at', 'is', null)
    .where('sessions.expires_at', '>', nowIso)
    .executeTakeFirst();
}

export async function revokeSession(db: Db, tokenHash: string, nowIso: string): Promise<void> {
  await db.updateTable('sessions').set({ revoked_at: nowIso }).where('token_hash', '=', tokenHash).execute();
}

export interface ClassRow {
  id: string;
  name: string;
  school_name: string;
  time_zone: string;
}

/** The classes a user belongs to: a pupil's own, a teacher's taught ones, every class of an admin's school. */
export async function classesOfUser(db: Db, user: UserRow): Promise<ClassRow[]> {
  let q = db
    .selectFrom('classes')
    .innerJoin('schools', 'schools.id', 'classes.school_id')
    .select(['classes.id', 'classes.name', 'schools.name as school_name', 'schools.time_zone'])
    .orderBy('classes.name');
  if (user.role === 'pupil') {
    q = q.innerJoin('class_pupils', 'class_pupils.class_id', 'classes.id').where('class_pupils.pupil_id', '=', user.id);
  } else if (user.role === 'teacher') {
    q = q.where('classes.teacher_id', '=', user.id);
  } else {
    q = q.where('classes.school_id', '=', user.school_id);
  }
  return q.execute();
}

export type WeekVersionRow = WeekVersionsTable;

/** The newest version of a class's week that pupils may see at `nowIso` (released). */
export async function latestReleasedWeek(
  db: Db,
  classId: string,
  week: string,
  nowIso: string,
): Promise<WeekVersionRow | undefined> {
  return db
    .selectFrom('week_versions')
    .selectAll()
    .where('class_id', '=', classId)
    .where('week', '=', week)
    .where((eb) => eb.or([eb('release_at', 'is', null), eb('release_at', '<=', nowIso)]))
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/** The newest released version of every week of a class, oldest week first. */
export async function listReleasedWeeks(db: Db, classId: string, nowIso: string): Promise<WeekVersionRow[]> {
  const rows = await db
    .selectFrom('week_versions')
    .selectAll()
    .where('class_id', '=', classId)
    .where((eb) => eb.or([eb('release_at', 'is', null), eb('release_at', '<=', nowIso)]))
    .orderBy('week')
    .orderBy('version', 'desc')
    .execute();
  const newest = new Map<string, WeekVersionRow>();
  for (const row of rows) if (!newest.has(row.week)) newest.set(row.week, row);
  return [...newest.values()];
}

/** The highest version number of a week, published or not yet released (0 when none). */
export async function maxWeekVersion(db: Db, classId: string, week: string): Promise<number> {
  const row = await db
    .selectFrom('week_versions')
    .select((eb) => eb.fn.max('version').as('max'))
    .where('class_id', '=', classId)
    .where('week', '=', week)
    .executeTakeFirst();
  return row?.max ?? 0;
}

export async function insertWeekVersion(db: Db, row: WeekVersionRow): Promise<void> {
  await db.insertInto('week_versions').values(row).execute();
}

export async function findFile(
  db: Db,
  sha256: string,
): Promise<{ sha256: string; size: number; type: string } | undefined> {
  const row = await db
    .selectFrom('files')
    .select(['sha256', 'size', 'type'])
    .where('sha256', '=', sha256)
    .executeTakeFirst();
  return row;
}

/** Records a stored file; recording the same hash again is a no-op. */
export async function recordFile(
  db: Db,
  row: { sha256: string; size: number; type: string; createdAt: string },
): Promise<void> {
  await db
    .insertInto('files')
    .values({ sha256: row.sha256, size: row.size, type: row.type, created_at: row.createdAt })
    .onConflict((oc) => oc.column('sha256').doNothing())
    .execute();
}

export async function findSchoolByName(db: Db, name: string): Promise<SchoolsTable | undefined> {
  return db.selectFrom('schools').selectAll().where('name', '=', name).executeTakeFirst();
}

/** How many pupils this server serves (the size of the herd after an outage). */
export async function countPupils(db: Db): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number | string>().as('n')) // PostgreSQL answers count(*) as a bigint string
    .where('role', '=', 'pupil')
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}
