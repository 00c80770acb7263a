/**
 * A school admin's screens: the school at a glance (teachers, classes, pupils), new classes and teachers, and a new
 * sign-in card for a pupil who lost theirs (a new secret; every session and device token of the old one is revoked).
 * Another school's classes and users answer 404, as if they did not exist.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { Type } from 'typebox';
import { ErrorBody, Id, SchoolDevicesReply, Text } from '../../protocol/schemas.ts';
import { cardSecret, usernameFrom } from '../accounts/pupil-csv.ts';
import { authenticate, currentUser } from '../auth/authenticate.ts';
import { requireAdmin } from '../auth/policy.ts';
import { hashSecret } from '../auth/secrets.ts';
import type { RoutePlugin } from '../context.ts';
import { insertClass, insertUser, replaceSecret, schoolOverview, userOfSchool } from '../db/school-queries.ts';
import { latestReleasedWeek } from '../db/queries.ts';
import { HttpError, notFound } from '../errors.ts';
import { authErrors, bearer } from './common.ts';

const Person = Type.Object({ id: Id, username: Type.String(), displayName: Type.String() });
const SchoolReply = Type.Object({
  school: Type.Object({ id: Id, name: Type.String(), timeZone: Type.String() }),
  teachers: Type.Array(Person),
  classes: Type.Array(Type.Object({ id: Id, name: Type.String(), teacherId: Id, pupils: Type.Array(Person) })),
});
const NewClassBody = Type.Object({ name: Text(80, { minLength: 1 }), teacherId: Id }, { additionalProperties: false });
const NewTeacherBody = Type.Object(
  { firstName: Text(60, { minLength: 1 }), lastName: Text(60, { minLength: 1 }) },
  { additionalProperties: false },
);
const CardReply = Type.Object({
  username: Type.String(),
  displayName: Type.String(),
  secret: Type.String({ description: 'to print on the new card: it is not stored, only its hash' }),
});

export const schoolRoutes: RoutePlugin = async (app, { ctx }) => {
  app.get(
    '/school',
    {
      onRequest: authenticate(ctx),
      schema: {
        summary: 'The admin’s school: teachers, classes and their pupils (school admins)',
        security: bearer,
        response: { 200: SchoolReply, 403: ErrorBody, ...authErrors },
      },
    },
    async (request) => {
      const user = currentUser(request);
      requireAdmin(user);
      const overview = await schoolOverview(ctx.db, user.school_id);
      if (!overview) throw notFound('École introuvable.');
      return overview;
    },
  );

  app.get(
    '/school/devices',
    {
      onRequest: authenticate(ctx),
      schema: {
        summary: 'The school’s shared tablets: last contact, weeks held, items queued (counts only; school admins)',
        security: bearer,
        response: { 200: SchoolDevicesReply, 403: ErrorBody, ...authErrors },
      },
    },
    async (request) => {
      const user = currentUser(request);
      requireAdmin(user);
      await ctx.contacts?.flush();
      const [rows, seats] = await Promise.all([
        ctx.db
          .selectFrom('device_reports')
          .selectAll()
          .where('school_id', '=', user.school_id)
          .orderBy('last_contact_at', 'desc')
          .execute(),
        ctx.db.selectFrom('device_seats').select(['id', 'seat']).where('school_id', '=', user.school_id).execute(),
      ]);
      const seatOf = new Map(seats.map((s) => [s.id, s.seat]));
      const nowIso = ctx.now().toISOString();
      const latest = new Map<string, number | undefined>();
      const latestOf = async (classId: string, week: string) => {
        const key = `${classId}/${week}`;
        if (!latest.has(key)) latest.set(key, (await latestReleasedWeek(ctx.db, classId, week, nowIso))?.version);
        return latest.get(key);
      };
      const devices = [];
      for (const r of rows) {
        const weeks = [];
        for (const [key, version] of Object.entries(JSON.parse(r.weeks) as Record<string, number>)) {
          const [classId = '', week = ''] = key.split('/');
          const newest = await latestOf(classId, week);
          weeks.push({ classId, week, version, ...(newest !== undefined ? { latestVersion: newest } : {}) });
        }
        weeks.sort((a, b) => b.week.localeCompare(a.week) || a.classId.localeCompare(b.classId));
        const seat = seatOf.get(r.device_id);
        devices.push({
          deviceId: r.device_id,
          ...(seat !== undefined ? { seat } : {}),
          lastContactAt: r.last_contact_at,
          queued: r.queued,
          weeks,
        });
      }
      return { devices };
    },
  );

  app.post(
    '/school/classes',
    {
      onRequest: authenticate(ctx),
      schema: {
        summary: 'Create a class with one of the school’s teachers (school admins)',
        security: bearer,
        body: NewClassBody,
        response: {
          201: Type.Object({ id: Id, name: Type.String(), teacherId: Id }),
          403: ErrorBody,
          422: ErrorBody,
          ...authErrors,
        },
      },
    },
    async (request, reply) => {
      const user = currentUser(request);
      requireAdmin(user);
      const name = request.body.name.trim();
      if (name === '') throw new HttpError(422, 'invalid_name', 'Donne un nom à la classe.');
      const teacher = await userOfSchool(ctx.db, user.school_id, request.body.teacherId);
      if (!teacher || teacher.role !== 'teacher') throw notFound('Enseignant introuvable dans l’école.');
      const id = randomUUID();
      await insertClass(ctx.db, {
        id,
        schoolId: user.school_id,
        name,
        teacherId: teacher.id,
        createdAt: ctx.now().toISOString(),
      });
      ctx.hot?.classes.clear();
      return reply.status(201).send({ id, name, teacherId: teacher.id });
    },
  );

  app.post(
    '/school/teachers',
    {
      onRequest: authenticate(ctx),
      schema: {
        summary: 'Create a teacher’s account (school admins); answers the secret for their card, once',
        security: bearer,
        body: NewTeacherBody,
        response: { 201: CardReply, 403: ErrorBody, 409: ErrorBody, 422: ErrorBody, ...authErrors },
      },
    },
    async (request, reply) => {
      const user = currentUser(request);
      requireAdmin(user);
      const firstName = request.body.firstName.trim();
      const lastName = request.body.lastName.trim();
      const username = usernameFrom(firstName, lastName);
      if (!firstName || !lastName || username.length < 3)
        throw new HttpError(422, 'invalid_name', 'Donne le prénom et le nom de l’enseignant·e.');
      const secret = cardSecret((n) => randomInt(n));
      const displayName = `${firstName} ${lastName}`;
      const created = await insertUser(ctx.db, {
        id: randomUUID(),
        school_id: user.school_id,
        role: 'teacher',
        username,
        display_name: displayName,
        secret_hash: await hashSecret(secret),
        created_at: ctx.now().toISOString(),
      });
      if (!created) throw new HttpError(409, 'username_taken', `L’identifiant « ${username} » est déjà pris.`);
      return reply.status(201).send({ username, displayName, secret });
    },
  );

  app.post(
    '/users/:userId/card',
    {
      onRequest: authenticate(ctx),
      schema: {
        summary: 'A new sign-in card for a pupil (school admins): new secret, every token of the old one revoked',
        security: bearer,
        params: Type.Object({ userId: Id }),
        response: { 200: CardReply, 403: ErrorBody, ...authErrors },
      },
    },
    async (request) => {
      const user = currentUser(request);
      requireAdmin(user);
      const pupil = await userOfSchool(ctx.db, user.school_id, request.params.userId);
      if (!pupil || pupil.role !== 'pupil') throw notFound('Élève introuvable.');
      const secret = cardSecret((n) => randomInt(n));
      await replaceSecret(ctx.db, pupil.id, await hashSecret(secret), ctx.now().toISOString());
      ctx.hot?.sessions.clear();
      return { username: pupil.username, displayName: pupil.display_name, secret };
    },
  );
};
