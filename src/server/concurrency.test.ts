/**
 * Every write route under concurrency, on one instance (the two-instance cases are in multi-instance.test.ts):
 * N identical requests at once answer as N sequential ones would (the same success, or the success once and the
 * answer a repeat gets), N different ones all succeed, never a 5xx; and what is stored is checked on the rows.
 * Runs on SQLite and, in the PostgreSQL pass, on PostgreSQL.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoHomework } from '../test-support/demo-homework.ts';
import { startTestServer, type TestServer } from '../test-support/server.ts';
import { encodePng } from './seed/media.ts';

const N = 20;
let s: TestServer;
let pupil = '';
let teacher = '';
let admin = '';
beforeAll(async () => {
  s = await startTestServer();
  [pupil, teacher, admin] = await Promise.all([s.signIn('lea'), s.signIn('mme.martin'), s.signIn('mme.roux')]);
});
afterAll(async () => s.close());

const as = (token: string, options: InjectOptions): InjectOptions => ({
  ...options,
  headers: { authorization: `Bearer ${token}`, ...options.headers },
});
const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const png = (seed: number) => Buffer.from(encodePng(2, 2, () => [seed % 256, (seed >> 8) % 256, 7, 255]));

/** Sends all at once; fails on any 5xx; returns the answers. */
async function atOnce(requests: InjectOptions[]): Promise<LightMyRequestResponse[]> {
  const answers = await Promise.all(requests.map((r) => s.app.inject(r)));
  const errors = answers.filter((a) => a.statusCode >= 500).map((a) => `${a.statusCode} ${a.body.slice(0, 160)}`);
  expect(errors).toEqual([]);
  return answers;
}
const statuses = (answers: LightMyRequestResponse[]) => answers.map((a) => a.statusCode).sort((x, y) => x - y);
const count = (answers: LightMyRequestResponse[], status: number) =>
  answers.filter((a) => a.statusCode === status).length;

const homework = demoHomework;

describe('concurrent writes', () => {
  it('PUT /api/submissions/{id}: one id stored once, other contents kept as versions, many ids all stored', async () => {
    const id = randomUUID();
    const same = await atOnce(
      Array.from({ length: N }, () =>
        as(pupil, { method: 'PUT', url: `/api/submissions/${id}`, payload: homework('même devoir') }),
      ),
    );
    expect([count(same, 201), count(same, 200)]).toEqual([1, N - 1]);
    expect(new Set(same.map((a) => a.json<{ receipt: { signature: string } }>().receipt.signature)).size).toBe(1);
    const other = randomUUID();
    const versions = await atOnce(
      Array.from({ length: N }, (_, i) =>
        as(pupil, { method: 'PUT', url: `/api/submissions/${other}`, payload: homework(`version ${i}`) }),
      ),
    );
    expect([count(versions, 201), count(versions, 409)]).toEqual([1, N - 1]);
    const ids = Array.from({ length: N }, () => randomUUID());
    const many = await atOnce(
      ids.map((i) => as(pupil, { method: 'PUT', url: `/api/submissions/${i}`, payload: homework(i) })),
    );
    expect(count(many, 201)).toBe(N);
    const rows = await s.ctx.db
      .selectFrom('submissions')
      .select('id')
      .where('id', 'in', [id, other, ...ids])
      .execute();
    expect(rows.length).toBe(N + 2);
    const kept = await s.ctx.db
      .selectFrom('submission_versions')
      .select('submission_id')
      .where('submission_id', 'in', [id, other])
      .execute();
    expect(kept.map((k) => k.submission_id)).toEqual(Array.from({ length: N - 1 }, () => other));
  });

  it('POST /api/submissions/batch: the same batch at once, and a batch racing single PUTs of its items, store each item once', async () => {
    const ids = Array.from({ length: 5 }, () => randomUUID());
    const items = ids.map((id) => ({ id, submission: homework(`lot ${id}`) }));
    const batches = await atOnce(
      Array.from({ length: N }, () => as(pupil, { method: 'POST', url: '/api/submissions/batch', payload: { items } })),
    );
    expect(statuses(batches)).toEqual(Array.from({ length: N }, () => 200));
    const results = batches.flatMap((b) => b.json<{ results: { status: number }[] }>().results.map((r) => r.status));
    expect([results.filter((st) => st === 201).length, results.filter((st) => st === 200).length]).toEqual([
      ids.length,
      ids.length * (N - 1),
    ]);
    const raced = Array.from({ length: 5 }, () => randomUUID());
    const racedItems = raced.map((id) => ({ id, submission: homework(`course ${id}`) }));
    await atOnce([
      as(pupil, { method: 'POST', url: '/api/submissions/batch', payload: { items: racedItems } }),
      ...racedItems.map((i) => as(pupil, { method: 'PUT', url: `/api/submissions/${i.id}`, payload: i.submission })),
    ]);
    const all = [...ids, ...raced];
    const rows = await s.ctx.db.selectFrom('submissions').select('id').where('id', 'in', all).execute();
    const versions = await s.ctx.db
      .selectFrom('submission_versions')
      .select('submission_id')
      .where('submission_id', 'in', all)
      .execute();
    expect([rows.length, versions.length]).toEqual([all.length, 0]);
  });

  it('PUT /api/uploads/{sha256}: the same file at once is stored once and owned once; different files all stored', async () => {
    const bytes = png(1);
    const same = await atOnce(
      Array.from({ length: N }, () =>
        as(pupil, {
          method: 'PUT',
          url: `/api/uploads/${sha(bytes)}`,
          headers: { 'content-type': 'image/png' },
          payload: bytes,
        }),
      ),
    );
    expect([count(same, 201), count(same, 200)]).toEqual([1, N - 1]);
    const owners = await s.ctx.db.selectFrom('upload_owners').selectAll().where('sha256', '=', sha(bytes)).execute();
    expect(owners.length).toBe(1);
    const files = Array.from({ length: N }, (_, i) => png(100 + i));
    const many = await atOnce(
      files.map((f) =>
        as(pupil, {
          method: 'PUT',
          url: `/api/uploads/${sha(f)}`,
          headers: { 'content-type': 'image/png' },
          payload: f,
        }),
      ),
    );
    expect(count(many, 201)).toBe(N);
  });

  it('PUT /api/lesson-files/{sha256}: the same file at once is stored once', async () => {
    const bytes = png(2);
    const same = await atOnce(
      Array.from({ length: N }, () =>
        as(teacher, {
          method: 'PUT',
          url: `/api/lesson-files/${sha(bytes)}`,
          headers: { 'content-type': 'image/png' },
          payload: bytes,
        }),
      ),
    );
    expect(statuses(same).every((c) => c === 200 || c === 201)).toBe(true);
    expect(count(same, 201)).toBeLessThanOrEqual(1);
    const rows = await s.ctx.db.selectFrom('files').select('sha256').where('sha256', '=', sha(bytes)).execute();
    expect(rows.length).toBe(1);
  });

  it('PUT …/publications/{publishId}: one publishId publishes once; of many from one base, one wins and the others are told to merge', async () => {
    const week = '2026-W50';
    const body = (title: string, baseVersion: number) => ({
      lessons: [{ id: 'lecon', title, order: 0, body: title, attachments: [] }],
      assignments: [],
      baseVersion,
    });
    const url = (publishId: string) => `/api/classes/cm2-b/weeks/${week}/publications/${publishId}`;
    const publishId = randomUUID();
    const same = await atOnce(
      Array.from({ length: N }, () =>
        as(teacher, { method: 'PUT', url: url(publishId), payload: body('une fois', 0) }),
      ),
    );
    expect(count(same, 201)).toBe(1);
    expect(new Set(same.map((a) => a.json<{ version: number }>().version))).toEqual(new Set([1]));
    // N devices of teachers, all edited from version 1, publish at once: one becomes version 2, nobody overwrites it.
    const many = await atOnce(
      Array.from({ length: N }, (_, i) =>
        as(teacher, { method: 'PUT', url: url(randomUUID()), payload: body(`v${i}`, 1) }),
      ),
    );
    expect(count(many, 201)).toBe(1);
    expect(count(many, 409)).toBe(N - 1);
    for (const a of many.filter((x) => x.statusCode === 409))
      expect(a.json()).toMatchObject({ error: 'stale_base', currentVersion: 2 });
    const versions = await s.ctx.db
      .selectFrom('week_versions')
      .select('version')
      .where('class_id', '=', 'cm2-b')
      .where('week', '=', week)
      .orderBy('version')
      .execute();
    expect(versions.map((v) => v.version)).toEqual([1, 2]);
  });

  it('PUT /api/devices/{deviceId}: one device one seat, many devices distinct seats', async () => {
    const device = randomUUID();
    const same = await atOnce(
      Array.from({ length: N }, () => as(pupil, { method: 'PUT', url: `/api/devices/${device}` })),
    );
    expect(new Set(same.map((a) => a.json<{ seat: number }>().seat)).size).toBe(1);
    const many = await atOnce(
      Array.from({ length: N }, () => as(pupil, { method: 'PUT', url: `/api/devices/${randomUUID()}` })),
    );
    expect(count(many, 200)).toBe(N);
    expect(new Set(many.map((a) => a.json<{ seat: number }>().seat)).size).toBe(N);
  });

  it('POST …/pupils/import: the same file five times at once creates each pupil once', async () => {
    const csv = ['prenom;nom', ...Array.from({ length: 10 }, (_, i) => `Élève${i};Concurrent`)].join('\n');
    const same = await atOnce(
      Array.from({ length: 5 }, () =>
        as(admin, {
          method: 'POST',
          url: '/api/classes/cm2-b/pupils/import',
          headers: { 'content-type': 'text/csv' },
          payload: csv,
        }),
      ),
    );
    expect(count(same, 200)).toBe(5);
    const created = same.flatMap((a) => a.json<{ created: { username: string }[] }>().created.map((c) => c.username));
    expect(created.length).toBe(10);
    expect(new Set(created).size).toBe(10);
    const rows = await s.ctx.db
      .selectFrom('users')
      .select('username')
      .where('username', 'like', 'eleve%.concurrent')
      .execute();
    expect(rows.length).toBe(10);
  });

  it('POST /api/school/teachers and /api/school/classes: one name at once is created once', async () => {
    const teachers = await atOnce(
      Array.from({ length: 10 }, () =>
        as(admin, {
          method: 'POST',
          url: '/api/school/teachers',
          payload: { firstName: 'Paul', lastName: 'Simultané' },
        }),
      ),
    );
    expect([count(teachers, 201), count(teachers, 409)]).toEqual([1, 9]);
    const teacherId = 'demo-mme-martin';
    const classes = await atOnce(
      Array.from({ length: 10 }, () =>
        as(admin, { method: 'POST', url: '/api/school/classes', payload: { name: 'CM1 simultané', teacherId } }),
      ),
    );
    expect(statuses(classes).every((c) => c === 201 || c === 409)).toBe(true);
    const rows = await s.ctx.db.selectFrom('classes').select('id').where('name', '=', 'CM1 simultané').execute();
    expect(rows.length).toBe(count(classes, 201));
  });

  it('POST /api/users/{userId}/card: of ten new cards at once, exactly one secret signs in', async () => {
    const cards = await atOnce(
      Array.from({ length: 10 }, () => as(admin, { method: 'POST', url: '/api/users/demo-hugo/card' })),
    );
    expect(count(cards, 200)).toBe(10);
    const signIns = [];
    for (const card of cards) {
      signIns.push(
        await s.app.inject({
          method: 'POST',
          url: '/api/auth/sign-in',
          remoteAddress: `10.9.${signIns.length}.1`,
          payload: { username: 'hugo', secret: card.json<{ secret: string }>().secret },
        }),
      );
      // Every wrong card counts toward Hugo's lockout: forget it between tries, as an admin's new card would.
      await s.ctx.limiter.reset('sign-in:failures:hugo');
    }
    expect(count(signIns, 200)).toBe(1);
  });

  it('POST /api/auth/refresh: one refresh token used at once is honoured at most once', async () => {
    const signIn = await s.app.inject({
      method: 'POST',
      url: '/api/auth/sign-in',
      remoteAddress: '10.8.0.1',
      payload: { username: 'lea', secret: 'soleil-12' },
    });
    const { refreshToken } = signIn.json<{ refreshToken: string }>();
    const answers = await atOnce(
      Array.from({ length: 10 }, () => ({
        method: 'POST' as const,
        url: '/api/auth/refresh',
        payload: { refreshToken },
      })),
    );
    expect(count(answers, 200)).toBeLessThanOrEqual(1);
    expect(count(answers, 200) + count(answers, 401)).toBe(10);
  });

  it('POST /api/auth/sign-in and sign-out: one account at once is checked in turn and all succeed, as in a row', async () => {
    const signIns = await atOnce(
      Array.from({ length: N }, (_, i) => ({
        method: 'POST' as const,
        url: '/api/auth/sign-in',
        remoteAddress: `10.7.${i}.1`,
        payload: { username: 'lea', secret: 'soleil-12' },
      })),
    );
    // As twenty in a row would: checked one at a time (the sign-in gate lets eight in; the account's queue holds them).
    expect(count(signIns, 200)).toBe(N);
    // Different accounts at once are not held by each other.
    const accounts = [
      ['ines', 'pluie-56'],
      ['mme.martin', 'tableau-noir'],
      ['mme.roux', 'craie-blanche'],
      ['lea', 'soleil-12'],
    ];
    const different = await atOnce(
      accounts.map(([username, secret], i) => ({
        method: 'POST' as const,
        url: '/api/auth/sign-in',
        remoteAddress: `10.6.${i}.1`,
        payload: { username, secret },
      })),
    );
    expect(count(different, 200)).toBe(accounts.length);
    const token = signIns.find((a) => a.statusCode === 200)?.json<{ token: string }>().token ?? '';
    const outs = await atOnce(
      Array.from({ length: 10 }, () => as(token, { method: 'POST', url: '/api/auth/sign-out' })),
    );
    expect(count(outs, 204)).toBe(10);
  });
});
