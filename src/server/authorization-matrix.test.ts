// The authorization matrix: every route of /api/openapi.json, called by every kind of user (anonymous; pupil,
// teacher and admin of the demo class's school and class; of another class of the same school; of another school),
// is allowed or denied as the table below says. A route without an entry fails the test.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../test-support/server.ts';
import { tokenHash } from './auth/secrets.ts';
import { insertSession } from './db/queries.ts';
import { publishWeek } from './publish.ts';
import { encodePng } from './seed/media.ts';
import { generateProfileKeys } from '../storage/crypto-box.ts';
import { DEMO_CLASS_ID } from './seed/demo.ts';

const ACTORS = [
  'anonymous',
  'pupil',
  'pupilOtherClass',
  'pupilOtherSchool',
  'teacher',
  'teacherOtherClass',
  'teacherOtherSchool',
  'admin',
  'adminOtherSchool',
] as const;
type Actor = (typeof ACTORS)[number];

const WEEK = '2026-W48'; // the demo's week at the test server's clock
/** Weeks of 2027 handed out one per publication request, each published once. */
let freshWeeks = 0;
const SIGNED_IN = ACTORS.filter((a) => a !== 'anonymous');
/** The only answers a shared cache may keep: immutable lesson files and the server's public keys. */
const PUBLIC_ROUTES = new Set(['GET /api/files/{sha256}', 'GET /api/keys']);
const STAFF = ['teacher', 'teacherOtherClass', 'teacherOtherSchool', 'admin', 'adminOtherSchool'] as const;
/** Who reads the demo class: its pupils, its teacher, its school's admin. */
const CLASS_READERS: Actor[] = ['pupil', 'teacher', 'admin'];
const CLASS_STAFF: Actor[] = ['teacher', 'admin'];

let s: TestServer;
const tokens = {} as Record<Actor, string | undefined>;
let submissionId = '';
/** A return of Léa's copy by her teacher, for the read mark. */
let feedbackId = '';
/** Another return of Léa's copy, with a file. */
let fileFeedbackId = '';
let returnedFile = '';
let submittedFile = '';
let lessonFile = '';
let demoFile = '';
/** Refresh tokens of Léa, one per call of the refresh route (each is single use). */
const refreshTokens: string[] = [];
/** A device token of Léa: what a shared tablet keeps for her. */
let leaDeviceToken = '';
/** Léa's profile public key, bound to that device token (returns fetched with it come sealed to it). */
let leaProfileKey = '';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function user(id: string, school: string, role: 'pupil' | 'teacher' | 'admin'): Promise<string> {
  await s.ctx.db
    .insertInto('users')
    .values({ id, school_id: school, role, username: id, display_name: id, secret_hash: 'x', created_at: '2026-01-01' })
    .execute();
  const token = randomBytes(32).toString('base64url');
  await insertSession(s.ctx.db, {
    tokenHash: tokenHash(token),
    userId: id,
    createdAt: '2026-11-25T08:00:00.000Z',
    expiresAt: '2026-12-25T08:00:00.000Z',
  });
  return token;
}

beforeAll(async () => {
  s = await startTestServer();
  const db = s.ctx.db;
  const school1 = (
    await db.selectFrom('classes').select('school_id').where('id', '=', DEMO_CLASS_ID).executeTakeFirstOrThrow()
  ).school_id;
  await db
    .insertInto('schools')
    .values({ id: 'autre-ecole', name: 'Autre école', time_zone: 'Europe/Paris', created_at: '2026-01-01' })
    .execute();
  tokens.anonymous = undefined;
  tokens.pupil = await s.signIn('lea');
  tokens.teacher = await s.signIn('mme.martin');
  tokens.teacherOtherClass = await user('t-cm1', school1, 'teacher');
  tokens.pupilOtherClass = await user('p-cm1', school1, 'pupil');
  tokens.admin = await user('admin-1', school1, 'admin');
  tokens.teacherOtherSchool = await user('t-ce1', 'autre-ecole', 'teacher');
  tokens.pupilOtherSchool = await user('p-ce1', 'autre-ecole', 'pupil');
  tokens.adminOtherSchool = await user('admin-2', 'autre-ecole', 'admin');
  for (const [id, school, teacher, pupil] of [
    ['cm1-a', school1, 't-cm1', 'p-cm1'],
    ['ce1-x', 'autre-ecole', 't-ce1', 'p-ce1'],
  ] as const) {
    await db
      .insertInto('classes')
      .values({ id, school_id: school, name: id, teacher_id: teacher, created_at: '2026-01-01' })
      .execute();
    await db.insertInto('class_pupils').values({ class_id: id, pupil_id: pupil }).execute();
    await publishWeek(
      db,
      s.ctx.storage,
      { classId: id, className: id, week: WEEK, lessons: [], assignments: [] },
      s.ctx.now(),
    );
  }
  s.ctx.hot?.clear();

  // Léa hands in homework with a photo; a teacher's lesson file is on the server; the demo's files are public.
  const photo = encodePng(4, 4, () => [10, 20, 30, 255]);
  submittedFile = sha(photo);
  const auth = { authorization: `Bearer ${tokens.pupil}` };
  await s.app.inject({
    method: 'PUT',
    url: `/api/uploads/${submittedFile}`,
    headers: { ...auth, 'content-type': 'image/png' },
    payload: Buffer.from(photo),
  });
  submissionId = randomUUID();
  const submitted = await s.app.inject({
    method: 'PUT',
    url: `/api/submissions/${submissionId}`,
    headers: auth,
    payload: homework([{ sha256: submittedFile, name: 'photo.png', type: 'image/png', size: photo.byteLength }]),
  });
  if (submitted.statusCode !== 201) throw new Error(`setup: the submission answered ${submitted.statusCode}`);
  feedbackId = randomUUID();
  const returned = await s.app.inject({
    method: 'PUT',
    url: `/api/feedback/${feedbackId}`,
    headers: { authorization: `Bearer ${tokens.teacher}` },
    payload: feedback(),
  });
  if (returned.statusCode !== 201) throw new Error(`setup: the feedback answered ${returned.statusCode}`);
  // The teacher's annotated photo, returned with Léa's copy.
  const annotated = encodePng(4, 4, () => [200, 0, 0, 255]);
  returnedFile = sha(annotated);
  await s.app.inject({
    method: 'PUT',
    url: `/api/uploads/${returnedFile}`,
    headers: { authorization: `Bearer ${tokens.teacher}`, 'content-type': 'image/png' },
    payload: Buffer.from(annotated),
  });
  const withFile = await s.app.inject({
    method: 'PUT',
    url: `/api/feedback/${randomUUID()}`,
    headers: { authorization: `Bearer ${tokens.teacher}` },
    payload: {
      ...feedback(),
      files: [{ sha256: returnedFile, name: 'annotee.png', type: 'image/png', size: annotated.byteLength }],
    },
  });
  if (withFile.statusCode !== 201) throw new Error(`setup: the feedback with a file answered ${withFile.statusCode}`);
  fileFeedbackId = withFile.json<{ feedback: { feedbackId: string } }>().feedback.feedbackId;
  const lesson = encodePng(5, 5, () => [200, 20, 30, 255]);
  lessonFile = sha(lesson);
  await s.app.inject({
    method: 'PUT',
    url: `/api/lesson-files/${lessonFile}`,
    headers: { authorization: `Bearer ${tokens.teacher}`, 'content-type': 'image/png' },
    payload: Buffer.from(lesson),
  });
  demoFile = (await s.ctx.db.selectFrom('files').select('sha256').executeTakeFirstOrThrow()).sha256;
  // A pupil with no session, whose card the admin may renew without signing anyone out of this test.
  await user('p-card', school1, 'pupil');
  await db.insertInto('class_pupils').values({ class_id: 'cm1-a', pupil_id: 'p-card' }).execute();
  for (let i = 0; i < ACTORS.length + 2; i++) {
    const signedIn = await s.app.inject({
      method: 'POST',
      url: '/api/auth/sign-in',
      payload: { username: 'lea', secret: 'soleil-12' },
    });
    refreshTokens.push(signedIn.json<{ refreshToken: string }>().refreshToken);
    leaDeviceToken = signedIn.json<{ deviceToken: string }>().deviceToken;
  }
  leaProfileKey = (await generateProfileKeys()).publicKey;
  const bound = await s.app.inject({
    method: 'POST',
    url: '/api/auth/device-key',
    headers: { authorization: `Bearer ${tokens.pupil}` },
    payload: { deviceToken: leaDeviceToken, publicKey: leaProfileKey },
  });
  if (bound.statusCode !== 204) throw new Error(`setup: binding the profile key answered ${bound.statusCode}`);
});
afterAll(async () => s.close());

function homework(files: unknown[] = []) {
  return {
    classId: DEMO_CLASS_ID,
    week: WEEK,
    assignmentId: 'exercices-fractions',
    text: 'Réponse',
    files,
    submittedAt: '2026-11-25T08:30:00.000Z',
  };
}

function feedback() {
  return {
    submissionId,
    comment: `Bien, revois l’exercice ${randomUUID().slice(0, 4)}.`,
    assessment: { kind: 'level', level: 'en_cours' },
    writtenAt: '2026-11-25T10:00:00.000Z',
  };
}

interface Entry {
  request: () => InjectOptions;
  allowed: readonly Actor[];
  /** The status that decides, when it is not the answer's own (a batch answers each item apart). */
  status?: (res: { statusCode: number; json: () => unknown }) => number;
}

const png = () => encodePng(3, 3, () => [Math.floor(Math.random() * 255), 1, 2, 255]);

/** Every route of the API, keyed as OpenAPI names it, with who may call it. */
const MATRIX: Record<string, Entry> = {
  'GET /api/health': { request: () => ({ url: '/api/health' }), allowed: ACTORS },
  'GET /api/ready': { request: () => ({ url: '/api/ready' }), allowed: ACTORS },
  'GET /api/keys': { request: () => ({ url: '/api/keys' }), allowed: ACTORS },
  'GET /api/files/{sha256}': { request: () => ({ url: `/api/files/${demoFile}` }), allowed: ACTORS },
  'POST /api/auth/sign-in': {
    request: () => ({ method: 'POST', url: '/api/auth/sign-in', payload: { username: 'hugo', secret: 'nuage-34' } }),
    allowed: ACTORS,
  },
  // Sign-out revokes the token it is sent with, if any (without one it has nothing to do, and says 204 all the same);
  // each actor signs out a session of its own made for it (below).
  'POST /api/auth/sign-out': { request: () => ({ method: 'POST', url: '/api/auth/sign-out' }), allowed: ACTORS },
  // The refresh token travels in the body, never as a bearer: whoever holds one renews it, whatever else they send.
  'POST /api/auth/refresh': {
    request: () => ({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: refreshTokens.pop() } }),
    allowed: ACTORS,
  },
  'GET /api/me': { request: () => ({ url: '/api/me' }), allowed: SIGNED_IN },
  // Each admin sees their own school.
  'GET /api/school': { request: () => ({ url: '/api/school' }), allowed: ['admin', 'adminOtherSchool'] },
  'GET /api/school/devices': {
    request: () => ({ url: '/api/school/devices' }),
    allowed: ['admin', 'adminOtherSchool'],
  },
  'POST /api/school/classes': {
    request: () => ({
      method: 'POST',
      url: '/api/school/classes',
      payload: { name: `Classe ${randomUUID().slice(0, 6)}`, teacherId: 't-cm1' },
    }),
    allowed: ['admin'],
  },
  'POST /api/school/teachers': {
    request: () => ({
      method: 'POST',
      url: '/api/school/teachers',
      payload: { firstName: 'Prof', lastName: randomUUID().slice(0, 8) },
    }),
    allowed: ['admin', 'adminOtherSchool'],
  },
  'POST /api/users/{userId}/card': {
    request: () => ({ method: 'POST', url: '/api/users/p-card/card' }),
    allowed: ['admin'],
  },
  'GET /api/sync-policy': { request: () => ({ url: '/api/sync-policy' }), allowed: SIGNED_IN },
  'PUT /api/devices/{deviceId}': {
    request: () => ({ method: 'PUT', url: `/api/devices/${randomUUID()}` }),
    allowed: SIGNED_IN,
  },
  'GET /api/classes/{classId}/weeks': {
    request: () => ({ url: `/api/classes/${DEMO_CLASS_ID}/weeks` }),
    allowed: CLASS_READERS,
  },
  'GET /api/classes/{classId}/weeks/{week}': {
    request: () => ({ url: `/api/classes/${DEMO_CLASS_ID}/weeks/${WEEK}` }),
    allowed: CLASS_READERS,
  },
  'GET /api/classes/{classId}/weeks/{week}/assignments/{assignmentId}/submissions': {
    request: () => ({ url: `/api/classes/${DEMO_CLASS_ID}/weeks/${WEEK}/assignments/exercices-fractions/submissions` }),
    allowed: CLASS_STAFF,
  },
  'GET /api/classes/{classId}/readiness': {
    request: () => ({ url: `/api/classes/${DEMO_CLASS_ID}/readiness?week=${WEEK}` }),
    allowed: CLASS_STAFF,
  },
  'GET /api/classes/{classId}/assignments': {
    request: () => ({ url: `/api/classes/${DEMO_CLASS_ID}/assignments` }),
    allowed: CLASS_STAFF,
  },
  'GET /api/classes/{classId}/publications': {
    request: () => ({ url: `/api/classes/${DEMO_CLASS_ID}/publications` }),
    allowed: CLASS_STAFF,
  },
  'PUT /api/classes/{classId}/weeks/{week}/publications/{publishId}': {
    // A week not published yet for each request: a second publication from base 0 would be a stale base (409).
    request: () => ({
      method: 'PUT',
      url: `/api/classes/${DEMO_CLASS_ID}/weeks/2027-W${String(++freshWeeks).padStart(2, '0')}/publications/${randomUUID()}`,
      payload: { lessons: [], assignments: [], baseVersion: 0 },
    }),
    allowed: CLASS_STAFF,
  },
  'GET /api/classes/{classId}/weeks/{week}/versions/{version}': {
    request: () => ({ url: `/api/classes/${DEMO_CLASS_ID}/weeks/${WEEK}/versions/1` }),
    allowed: CLASS_STAFF,
  },
  'GET /api/classes/{classId}/weeks/{week}/latest': {
    request: () => ({ url: `/api/classes/${DEMO_CLASS_ID}/weeks/${WEEK}/latest` }),
    allowed: CLASS_STAFF,
  },
  'GET /api/lesson-files/{sha256}': { request: () => ({ url: `/api/lesson-files/${lessonFile}` }), allowed: STAFF },
  'PUT /api/lesson-files/{sha256}': {
    request: () => {
      const bytes = png();
      return {
        method: 'PUT',
        url: `/api/lesson-files/${sha(bytes)}`,
        headers: { 'content-type': 'image/png' },
        payload: Buffer.from(bytes),
      };
    },
    allowed: STAFF,
  },
  // Whether a homework file is on the server is told only to the one who uploaded it (Léa): a hash is no secret.
  'GET /api/uploads/{sha256}': { request: () => ({ url: `/api/uploads/${submittedFile}` }), allowed: ['pupil'] },
  'PUT /api/uploads/{sha256}': {
    request: () => {
      const bytes = png();
      return {
        method: 'PUT',
        url: `/api/uploads/${sha(bytes)}`,
        headers: { 'content-type': 'image/png' },
        payload: Buffer.from(bytes),
      };
    },
    allowed: SIGNED_IN,
  },
  'PUT /api/submissions/{id}': {
    request: () => ({ method: 'PUT', url: `/api/submissions/${randomUUID()}`, payload: homework() }),
    allowed: ['pupil'],
  },
  'POST /api/submissions/batch': {
    request: () => ({
      method: 'POST',
      url: '/api/submissions/batch',
      payload: { items: [{ id: randomUUID(), submission: homework() }] },
    }),
    allowed: ['pupil'],
    // 200 with each item's own answer: the one item decides, as its single PUT would.
    status: (res) =>
      res.statusCode === 200
        ? ((res.json() as { results: { status: number }[] }).results[0]?.status ?? 0)
        : res.statusCode,
  },
  'POST /api/classes/{classId}/pupils/import': {
    request: () => ({
      method: 'POST',
      url: `/api/classes/${DEMO_CLASS_ID}/pupils/import`,
      headers: { 'content-type': 'text/csv' },
      payload: `prenom;nom\nÉlève;${randomUUID().slice(0, 8)}\n`,
    }),
    allowed: ['admin'],
  },
  // A copy is returned by the staff of its class; each pupil reads only their own returns (every pupil reads a list,
  // Léa's holds one) and marks only their own as seen.
  'PUT /api/feedback/{id}': {
    request: () => ({ method: 'PUT', url: `/api/feedback/${randomUUID()}`, payload: feedback() }),
    allowed: CLASS_STAFF,
  },
  // Each pupil binds a key to their own device token only (Léa's here; another's token answers 404).
  'POST /api/auth/device-key': {
    request: () => ({
      method: 'POST',
      url: '/api/auth/device-key',
      payload: { deviceToken: leaDeviceToken, publicKey: leaProfileKey },
    }),
    allowed: ['pupil'],
  },
  'GET /api/feedback': {
    request: () => ({ url: '/api/feedback' }),
    allowed: ['pupil', 'pupilOtherClass', 'pupilOtherSchool'],
  },
  'GET /api/feedback/{id}/files/{sha256}': {
    request: () => ({ url: `/api/feedback/${fileFeedbackId}/files/${returnedFile}` }),
    allowed: ['pupil', 'teacher', 'admin'],
  },
  'PUT /api/feedback/{id}/seen': {
    request: () => ({
      method: 'PUT',
      url: `/api/feedback/${feedbackId}/seen`,
      payload: { seenAt: '2026-11-25T18:00:00.000Z' },
    }),
    allowed: ['pupil'],
  },
  'GET /api/submissions/{id}/files/{sha256}': {
    request: () => ({ url: `/api/submissions/${submissionId}/files/${submittedFile}` }),
    allowed: ['pupil', 'teacher', 'admin'],
  },
};

describe('authorization matrix', () => {
  it('has an entry for every route the API documents, and none for a route it does not', async () => {
    const doc = (await s.app.inject('/api/openapi.json')).json<{ paths: Record<string, Record<string, unknown>> }>();
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops)
        .filter((m) => m !== 'head')
        .map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual(Object.keys(MATRIX).sort());
  });

  for (const [route, entry] of Object.entries(MATRIX)) {
    it(`${route}: ${entry.allowed.length === ACTORS.length ? 'everyone' : entry.allowed.join(', ')}`, async () => {
      const outcomes: string[] = [];
      for (const actor of ACTORS) {
        const request = entry.request();
        let token = tokens[actor];
        if (route === 'POST /api/auth/sign-out' && token) {
          const own = (
            await s.ctx.db
              .selectFrom('sessions')
              .select('user_id')
              .where('token_hash', '=', tokenHash(token))
              .executeTakeFirstOrThrow()
          ).user_id;
          token = randomBytes(32).toString('base64url');
          await insertSession(s.ctx.db, {
            tokenHash: tokenHash(token),
            userId: own,
            createdAt: '2026-11-25T08:00:00.000Z',
            expiresAt: '2026-12-25T08:00:00.000Z',
          });
        }
        const headers = {
          ...(request.headers as Record<string, string>),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        };
        const res = await s.app.inject({ ...request, headers });
        const allowed = entry.allowed.includes(actor);
        const status = entry.status ? entry.status(res) : res.statusCode;
        // A denial is 401 without a token, else 403 or 404, always with the API's JSON error body (or the item's).
        const deniedWell =
          (actor === 'anonymous' ? status === 401 : status === 403 || status === 404) &&
          (res.body.startsWith('{"error":') || res.body.includes('"error":"'));
        const ok = allowed ? status >= 200 && status < 300 : deniedWell;
        if (!ok)
          outcomes.push(
            `${actor}: ${res.statusCode} ${res.body.slice(0, 120)} (expected ${allowed ? 'allowed' : 'denied'})`,
          );
        // Every answer says how it may be cached, and only public content may be kept by a shared cache.
        const cache = res.headers['cache-control'] ?? '';
        const privateOrNone = /\b(no-store|private)\b/.test(cache);
        if (!(privateOrNone || (PUBLIC_ROUTES.has(route) && res.statusCode === 200)))
          outcomes.push(`${actor}: ${res.statusCode} with cache-control "${cache}" (expected no-store or private)`);
      }
      expect(outcomes).toEqual([]);
    });
  }

  it('lets a device token only send work and fetch weeks, and a refresh token nothing as a bearer', async () => {
    /** Routes a shared tablet uses for a pupil who has left; everything else wants the access token. */
    const DEVICE_ROUTES = new Set([
      'GET /api/sync-policy',
      'PUT /api/devices/{deviceId}',
      'GET /api/classes/{classId}/weeks',
      'GET /api/classes/{classId}/weeks/{week}',
      'GET /api/uploads/{sha256}',
      'PUT /api/uploads/{sha256}',
      'PUT /api/submissions/{id}',
      'POST /api/submissions/batch',
      // A read mark is a write the outbox sends; the returns come sealed to the profile key bound to the token.
      'PUT /api/feedback/{id}/seen',
      'GET /api/feedback',
      'GET /api/feedback/{id}/files/{sha256}',
    ]);
    const refresh = refreshTokens.pop() ?? '';
    const outcomes: string[] = [];
    for (const [route, entry] of Object.entries(MATRIX)) {
      if (!entry.allowed.includes('pupil') || entry.allowed === ACTORS) continue;
      for (const [kind, token] of [
        ['device', leaDeviceToken],
        ['refresh', refresh],
      ] as const) {
        const request = entry.request();
        const headers = { ...(request.headers as Record<string, string>), authorization: `Bearer ${token}` };
        const res = await s.app.inject({ ...request, headers });
        const expected = kind === 'device' && DEVICE_ROUTES.has(route) ? 'allowed' : 401;
        const got = res.statusCode >= 200 && res.statusCode < 300 ? 'allowed' : res.statusCode;
        if (got !== expected) outcomes.push(`${kind} ${route}: ${res.statusCode} (expected ${expected})`);
      }
    }
    expect(outcomes).toEqual([]);
  });

  it('denies a class the user does not belong to exactly as a class that does not exist (no leak)', async () => {
    for (const actor of ['pupilOtherClass', 'teacherOtherSchool'] as const) {
      const auth = { authorization: `Bearer ${tokens[actor]}` };
      const real = await s.app.inject({ url: `/api/classes/${DEMO_CLASS_ID}/weeks/${WEEK}`, headers: auth });
      const none = await s.app.inject({ url: `/api/classes/classe-imaginaire/weeks/${WEEK}`, headers: auth });
      expect([real.statusCode, real.json()]).toEqual([none.statusCode, none.json()]);
    }
  });
});
