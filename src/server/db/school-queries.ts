/** The queries of a school admin's screens: the school's teachers, classes and pupils; new classes; new cards. */
import type { Db, UsersTable } from './schema.ts';

export interface SchoolOverview {
  school: { id: string; name: string; timeZone: string };
  teachers: { id: string; username: string; displayName: string }[];
  classes: {
    id: string;
    name: string;
    teacherId: string;
    pupils: { id: string; username: string; displayName: string }[];
  }[];
}

/** Everything an admin's screen lists, for one school. */
export async function schoolOverview(db: Db, schoolId: string): Promise<SchoolOverview | undefined> {
  const school = await db.selectFrom('schools').selectAll().where('id', '=', schoolId).executeTakeFirst();
  if (!school) return undefined;
  const teachers = await db
    .selectFrom('users')
    .select(['id', 'username', 'display_name'])
    .where('school_id', '=', schoolId)
    .where('role', '=', 'teacher')
    .orderBy('display_name')
    .execute();
  const classes = await db
    .selectFrom('classes')
    .select(['id', 'name', 'teacher_id'])
    .where('school_id', '=', schoolId)
    .orderBy('name')
    .execute();
  const pupils = await db
    .selectFrom('class_pupils')
    .innerJoin('users', 'users.id', 'class_pupils.pupil_id')
    .innerJoin('classes', 'classes.id', 'class_pupils.class_id')
    .select(['class_pupils.class_id', 'users.id', 'users.username', 'users.display_name'])
    .where('classes.school_id', '=', schoolId)
    .orderBy('users.display_name')
    .execute();
  return {
    school: { id: school.id, name: school.name, timeZone: school.time_zone },
    teachers: teachers.map((t) => ({ id: t.id, username: t.username, displayName: t.display_name })),
    classes: classes.map((c) => ({
      id: c.id,
      name: c.name,
      teacherId: c.teacher_id,
      pupils: pupils
        .filter((p) => p.class_id === c.id)
        .map((p) => ({ id: p.id, username: p.username, displayName: p.display_name })),
    })),
  };
}

/** A user of this school (any role), or undefined: another school's users do not exist for this admin. */
export async function userOfSchool(db: Db, schoolId: string, userId: string) {
  return db
    .selectFrom('users')
    .selectAll()
    .where('id', '=', userId)
    .where('school_id', '=', schoolId)
    .executeTakeFirst();
}

export async function insertClass(
  db: Db,
  row: { id: string; schoolId: string; name: string; teacherId: string; createdAt: string },
): Promise<void> {
  await db
    .insertInto('classes')
    .values({
      id: row.id,
      school_id: row.schoolId,
      name: row.name,
      teacher_id: row.teacherId,
      created_at: row.createdAt,
    })
    .execute();
}

/** Creates an account; false when the username is taken (nothing written). */
export async function insertUser(db: Db, row: UsersTable): Promise<boolean> {
  const result = await db
    .insertInto('users')
    .values(row)
    .onConflict((oc) => oc.column('username').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
}

/** A new card: the new secret's hash replaces the old one, and every live token of the account is revoked. */
export async function replaceSecret(db: Db, userId: string, secretHash: string, nowIso: string): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await tx.updateTable('users').set({ secret_hash: secretHash }).where('id', '=', userId).execute();
    await tx
      .updateTable('sessions')
      .set({ revoked_at: nowIso })
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .execute();
  });
}
