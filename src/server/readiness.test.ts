// "Qui est prêt ?": readiness learnt from the requests devices already make (SQLite, and PostgreSQL with
// TEST_BACKEND=postgres).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEVICE_REPORT_HEADER,
  myFeedbackUrl,
  PENDING_HEADER,
  feedbackSeenUrl,
  feedbackUrl,
  readinessUrl,
  schoolDevicesUrl,
  submissionUrl,
  weekManifestUrl,
} from '../protocol/paths.ts';
import type { ReadinessReply, SchoolDevicesReply } from '../protocol/schemas.ts';
import { startTestServer, type TestServer } from '../test-support/server.ts';
import { publishWeek } from './publish.ts';
import { DEMO_CLASS_ID } from './seed/demo.ts';

const WEEK = '2026-W48';
let s: TestServer;
let lea: string;
let teacher: string;
const auth = (token: string) => ({ authorization: `Bearer ${token}` });
const readiness = async () =>
  (await s.app.inject({ url: readinessUrl(DEMO_CLASS_ID, WEEK), headers: auth(teacher) })).json<ReadinessReply>();
const pupil = (r: ReadinessReply, name: string) => r.pupils.find((p) => p.displayName === name);

beforeAll(async () => {
  s = await startTestServer();
  [lea, teacher] = await Promise.all([s.signIn('lea'), s.signIn('mme.martin')]);
});
afterAll(async () => s.close());

describe('Qui est prêt ?', () => {
  it('says which pupils’ devices hold the current week, from their manifest requests alone', async () => {
    const before = await readiness();
    expect(before.latestVersion).toBe(1);
    expect(pupil(before, 'Hugo Petit')).toMatchObject({ ready: false });
    expect(pupil(before, 'Hugo Petit')?.lastContactAt).toBeUndefined();

    const manifest = await s.app.inject({ url: weekManifestUrl(DEMO_CLASS_ID, WEEK), headers: auth(lea) });
    expect(manifest.statusCode).toBe(200);
    const after = await readiness();
    expect(pupil(after, 'Léa Dubois')).toMatchObject({
      ready: true,
      holdsVersion: 1,
      lastContactAt: expect.any(String),
    });
    expect(pupil(after, 'Hugo Petit')?.ready).toBe(false);

    // A new version: Léa's device holds the old one until it revalidates (a 304 on the new ETag is "ready" again).
    await publishWeek(
      s.ctx.db,
      s.ctx.storage,
      { classId: DEMO_CLASS_ID, className: 'CM2 B', week: WEEK, lessons: [], assignments: [] },
      s.ctx.now(),
    );
    s.ctx.hot?.clear();
    const stale = await readiness();
    expect(stale.latestVersion).toBe(2);
    expect(pupil(stale, 'Léa Dubois')).toMatchObject({ ready: false, holdsVersion: 1 });
    const fresh = await s.app.inject({ url: weekManifestUrl(DEMO_CLASS_ID, WEEK), headers: auth(lea) });
    const revalidated = await s.app.inject({
      url: weekManifestUrl(DEMO_CLASS_ID, WEEK),
      headers: { ...auth(lea), 'if-none-match': fresh.headers.etag as string },
    });
    expect(revalidated.statusCode).toBe(304);
    expect(pupil(await readiness(), 'Léa Dubois')).toMatchObject({ ready: true, holdsVersion: 2 });
  });

  it('counts a teacher’s own reading of the week for nobody', async () => {
    await s.app.inject({ url: weekManifestUrl(DEMO_CLASS_ID, WEEK), headers: auth(teacher) });
    const rows = await s.ctx.db.selectFrom('pupil_weeks').select('user_id').execute();
    expect(rows.map((r) => r.user_id)).toEqual(['demo-lea']);
  });

  it('gives each assignment’s state: pas rendu, rendu, corrigé, vu', async () => {
    // The week's assignments as published first (version 1 of the demo), on a week the demo publishes.
    await s.ctx.db.deleteFrom('week_versions').where('version', '=', 2).execute();
    s.ctx.hot?.clear();
    const standing = async () =>
      pupil(await readiness(), 'Léa Dubois')?.assignments.find((a) => a.assignmentId === 'exercices-fractions')
        ?.standing;
    expect(await standing()).toBe('pas_rendu');
    // Léa's device, checking her returns, says the fractions are still in its queue (ids only).
    const checkReturns = (pending: string) =>
      s.app.inject({ url: myFeedbackUrl(), headers: { ...auth(lea), [PENDING_HEADER]: pending } });
    await checkReturns('pas une liste'); // malformed: ignored
    expect(await standing()).toBe('pas_rendu');
    await checkReturns(`${DEMO_CLASS_ID}/${WEEK}/exercices-fractions`);
    expect(await standing()).toBe('en_attente');
    const copy = randomUUID();
    await s.app.inject({
      method: 'PUT',
      url: submissionUrl(copy),
      headers: auth(lea),
      payload: {
        classId: DEMO_CLASS_ID,
        week: WEEK,
        assignmentId: 'exercices-fractions',
        text: 'Fait.',
        files: [],
        submittedAt: '2026-11-25T08:30:00.000Z',
      },
    });
    expect(await standing()).toBe('rendu');
    const returned = randomUUID();
    await s.app.inject({
      method: 'PUT',
      url: feedbackUrl(returned),
      headers: auth(teacher),
      payload: {
        submissionId: copy,
        comment: 'Bien.',
        assessment: { kind: 'none' },
        writtenAt: '2026-11-25T10:00:00Z',
      },
    });
    expect(await standing()).toBe('corrige');
    await s.app.inject({
      method: 'PUT',
      url: feedbackSeenUrl(returned),
      headers: auth(lea),
      payload: { seenAt: '2026-11-25T18:00:00.000Z' },
    });
    expect(await standing()).toBe('vu');
    expect(pupil(await readiness(), 'Hugo Petit')?.assignments.map((a) => a.standing)).toEqual(
      expect.arrayContaining(['pas_rendu']),
    );
  });
});

describe('the school’s shared tablets', () => {
  it('are listed for the admin as they last reported: contact, weeks held, items queued (counts only)', async () => {
    const admin = await s.signIn('mme.roux');
    const tablet = randomUUID();
    const check = (headers: Record<string, string>) =>
      s.app.inject({ url: weekManifestUrl(DEMO_CLASS_ID, WEEK), headers: { ...auth(lea), ...headers } });
    await check({ [DEVICE_REPORT_HEADER]: `id=${tablet};queued=3` });
    await check({ [DEVICE_REPORT_HEADER]: 'id=pas-un-uuid;queued=3' }); // malformed: ignored
    await check({}); // a personal device says nothing of itself
    const devices = async () =>
      (await s.app.inject({ url: schoolDevicesUrl(), headers: auth(admin) })).json<SchoolDevicesReply>().devices;
    const first = await devices();
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({
      deviceId: tablet,
      queued: 3,
      weeks: [{ classId: DEMO_CLASS_ID, week: WEEK, version: 1, latestVersion: 1 }],
    });
    // The next check: its queue drained.
    await check({ [DEVICE_REPORT_HEADER]: `id=${tablet};queued=0` });
    expect((await devices())[0]?.queued).toBe(0);
    // Never content: the reply names no pupil and no homework.
    const text = (await s.app.inject({ url: schoolDevicesUrl(), headers: auth(admin) })).body;
    expect(text).not.toContain('demo-lea');
    expect((await s.app.inject({ url: schoolDevicesUrl(), headers: auth(teacher) })).statusCode).toBe(403);
  });
});
