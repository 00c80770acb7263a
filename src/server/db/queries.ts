/**
 * Every query the routes make, in one place, written with Kysely so that another dialect (PostgreSQL) can serve the
 * same routes unchanged. Routes never build SQL themselves.
 */
import { sql } from 'kysely';
import type { Db, SchoolsTable, TokenKind, UsersTable, WeekVersionsTable } from './schema.ts';

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
  row: {
    tokenHash: string;
    userId: string;
    createdAt: string;
    expiresAt: string;
    kind?: TokenKind;
    family?: string | null;
  },
): Promise<void> {
  await db
    .insertInto('sessions')
    .values({
      token_hash: row.tokenHash,
      user_id: row.userId,
      created_at: row.createdAt,
      expires_at: row.expiresAt,
      kind: row.kind ?? 'access',
      family: row.family ?? null,
    })
    .execute();
}

/** The user of a live (not expired, not revoked) token, its kind, and when it expires. */
export async function findSession(
  db: Db,
  tokenHash: string,
  nowIso: string,
): Promise<{ user: UserRow; expiresAt: string; kind: TokenKind } | undefined> {
  const row = await db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .selectAll('users')
    .select(['sessions.expires_at', 'sessions.kind'])
    .where('sessions.token_hash', '=', tokenHash)
    .where('sessions.revoked_at', 'is', null)
    .where('sessions.expires_at', '>', nowIso)
    .executeTakeFirst();
  if (!row) return undefined;
  const { expires_at: expiresAt, kind, ...user } = row;
  return { user, expiresAt, kind };
}

/** A token row whatever its state (a refresh token is looked up revoked too, to detect its replay). */
export async function findToken(db: Db, tokenHash: string) {
  return db.selectFrom('sessions').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
}

/** Revokes every live token of a sign-in (its access and refresh tokens). */
export async function revokeFamily(db: Db, family: string, nowIso: string): Promise<void> {
  await db
    .updateTable('sessions')
    .set({ revoked_at: nowIso })
    .where('family', '=', family)
    .where('revoked_at', 'is', null)
    .execute();
}

/** Revokes one token if it is still live; true when this call revoked it (so one of two racing refreshes wins). */
export async function revokeIfLive(db: Db, tokenHash: string, nowIso: string): Promise<boolean> {
  const result = await db
    .updateTable('sessions')
    .set({ revoked_at: nowIso })
    .where('token_hash', '=', tokenHash)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** The earliest release time after `nowIso` of a version of this week not yet released, if any. */
export async function nextRelease(db: Db, classId: string, week: string, nowIso: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('week_versions')
    .select((eb) => eb.fn.min('release_at').as('next'))
    .where('class_id', '=', classId)
    .where('week', '=', week)
    .where('release_at', '>', nowIso)
    .executeTakeFirst();
  return row?.next ?? undefined;
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

/** One version of a week, scheduled or released (teachers read any); the newest when `version` is not given. */
export async function findWeekVersion(
  db: Db,
  classId: string,
  week: string,
  version?: number,
): Promise<WeekVersionRow | undefined> {
  const ofWeek = db.selectFrom('week_versions').selectAll().where('class_id', '=', classId).where('week', '=', week);
  const chosen =
    version === undefined ? ofWeek.orderBy('version', 'desc').limit(1) : ofWeek.where('version', '=', version);
  return chosen.executeTakeFirst();
}

export async function insertWeekVersion(db: Db, row: WeekVersionRow): Promise<void> {
  await db.insertInto('week_versions').values(row).execute();
}

/** The version published under this client publication id, if any. */
export async function findPublication(
  db: Db,
  classId: string,
  week: string,
  publishId: string,
): Promise<WeekVersionRow | undefined> {
  return db
    .selectFrom('week_versions')
    .selectAll()
    .where('class_id', '=', classId)
    .where('week', '=', week)
    .where('publish_id', '=', publishId)
    .executeTakeFirst();
}

/** Every version of a class's weeks, released or scheduled, newest version of each week first (teachers). */
export async function listAllWeekVersions(db: Db, classId: string): Promise<WeekVersionRow[]> {
  return db
    .selectFrom('week_versions')
    .selectAll()
    .where('class_id', '=', classId)
    .orderBy('week')
    .orderBy('version', 'desc')
    .execute();
}

/** Signs a version published before manifests were signed (the first time it is served). */
export async function setWeekSignature(
  db: Db,
  row: Pick<WeekVersionRow, 'class_id' | 'week' | 'version'>,
  signature: string,
  keyId: string,
): Promise<void> {
  await db
    .updateTable('week_versions')
    .set({ signature, key_id: keyId })
    .where('class_id', '=', row.class_id)
    .where('week', '=', row.week)
    .where('version', '=', row.version)
    .where('signature', 'is', null)
    .execute();
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
/** Records a stored file once; true when this call recorded it (false: it was there, or a concurrent call won). */
export async function recordFile(
  db: Db,
  row: { sha256: string; size: number; type: string; createdAt: string },
): Promise<boolean> {
  const result = await db
    .insertInto('files')
    .values({ sha256: row.sha256, size: row.size, type: row.type, created_at: row.createdAt })
    .onConflict((oc) => oc.column('sha256').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
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

export async function findSchool(db: Db, schoolId: string): Promise<SchoolsTable | undefined> {
  return db.selectFrom('schools').selectAll().where('id', '=', schoolId).executeTakeFirst();
}

/**
 * The device's seat in its school: the one it was given there, or the next free one. Seats are unique per school
 * (and so is a device id within a school). Registrations racing for the same seat, on one instance or several, each
 * insert with ON CONFLICT DO NOTHING: every round at least one of them wins, so N racing registrations all end within
 * N rounds; none is answered an error.
 */
export async function registerDevice(db: Db, deviceId: string, schoolId: string, nowIso: string): Promise<number> {
  for (let attempt = 0; attempt < 1000; attempt++) {
    const known = await db
      .selectFrom('device_seats')
      .select('seat')
      .where('school_id', '=', schoolId)
      .where('id', '=', deviceId)
      .executeTakeFirst();
    if (known) return known.seat;
    const top = await db
      .selectFrom('device_seats')
      .select((eb) => eb.fn.max('seat').as('max'))
      .where('school_id', '=', schoolId)
      .executeTakeFirst();
    const seat = top?.max === null || top?.max === undefined ? 0 : top.max + 1;
    const inserted = await db
      .insertInto('device_seats')
      .values({ id: deviceId, school_id: schoolId, seat, created_at: nowIso })
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 1) return seat;
  }
  throw new Error('could not give this device a seat');
}
