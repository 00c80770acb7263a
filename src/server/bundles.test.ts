import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileUrl, MANIFEST_KEY_HEADER, MANIFEST_SIGNATURE_HEADER, weekManifestUrl } from '../protocol/paths.ts';
import type { ClassAssignmentsReply, KeysReply, PublishBody, WeekManifest } from '../protocol/schemas.ts';
import { demoHomework } from '../test-support/demo-homework.ts';
import { startTestServer, type TestServer } from '../test-support/server.ts';
import { sha256Hex } from './publish.ts';
import { verifyReceipt } from './receipts.ts';
import { encodePng, simplePdf } from './seed/media.ts';
import { DEMO_CLASS_ID } from './seed/demo.ts';

const WEEK = '2026-W49';
let s: TestServer;
let teacher: string;
let lea: string;

beforeAll(async () => {
  s = await startTestServer();
  teacher = await s.signIn('mme.martin');
  lea = await s.signIn('lea');
});
afterAll(async () => s.close());

const auth = (token: string) => ({ authorization: `Bearer ${token}` });
const png = encodePng(3, 2, (x, y) => [x * 80, y * 120, 200, 255]);
const pdf = simplePdf('Fiche', ['Le cycle de l’eau']);

async function uploadLessonFile(bytes: Uint8Array, type: string, token = teacher, hash = sha256Hex(bytes)) {
  return s.app.inject({
    method: 'PUT',
    url: `/api/lesson-files/${hash}`,
    headers: { ...auth(token), 'content-type': type },
    payload: Buffer.from(bytes),
  });
}

const week = (body: string, baseVersion = 0): PublishBody => ({
  baseVersion,
  lessons: [
    {
      id: 'cycle-eau',
      title: 'Le cycle de l’eau',
      order: 1,
      body,
      attachments: [
        { sha256: sha256Hex(png), name: 'cycle.png' },
        { sha256: sha256Hex(pdf), name: 'fiche.pdf' },
      ],
    },
  ],
  assignments: [{ id: 'schema', title: 'Schéma', instructions: 'Dessine le cycle.', dueAt: '2026-12-04T16:00:00Z' }],
});

const publish = (body: PublishBody, publishId = randomUUID(), token = teacher, classId = DEMO_CLASS_ID) =>
  s.app.inject({
    method: 'PUT',
    url: `/api/classes/${classId}/weeks/${WEEK}/publications/${publishId}`,
    headers: auth(token),
    payload: body,
  });

describe('lesson files', () => {
  it('stores a teacher’s file once by its hash and says so the second time', async () => {
    const first = await uploadLessonFile(png, 'image/png');
    expect(first.statusCode).toBe(201);
    const again = await uploadLessonFile(png, 'image/png');
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ stored: false });
    const known = await s.app.inject({ url: `/api/lesson-files/${sha256Hex(png)}`, headers: auth(teacher) });
    expect(known.statusCode).toBe(200);
  });

  it('refuses a forbidden type or an oversize file from the headers, before reading the body', async () => {
    const html = await uploadLessonFile(new TextEncoder().encode('<script>alert(1)</script>'), 'text/html');
    expect(html.statusCode).toBe(415);
    expect(html.json()).toMatchObject({ error: 'unsupported_media_type' });
    const big = await s.app.inject({
      method: 'PUT',
      url: `/api/lesson-files/${'a'.repeat(64)}`,
      headers: { ...auth(teacher), 'content-type': 'video/mp4', 'content-length': String(60 * 1024 * 1024) },
      payload: Buffer.alloc(10),
    });
    expect(big.statusCode).toBe(413);
    expect(big.json().message).toContain('50 Mo');
  });

  it('refuses bytes that are not what the type says, bytes that do not match the hash, and pupils', async () => {
    const disguised = await uploadLessonFile(new TextEncoder().encode('<html><script>x</script>'), 'image/png');
    expect(disguised.statusCode).toBe(415);
    expect(disguised.json()).toMatchObject({ error: 'type_mismatch' });
    const wrongHash = await uploadLessonFile(pdf, 'application/pdf', teacher, 'b'.repeat(64));
    expect(wrongHash.statusCode).toBe(422);
    const pupil = await uploadLessonFile(pdf, 'application/pdf', lea);
    expect(pupil.statusCode).toBe(403);
  });
});

describe('publishing a week', () => {
  it('publishes a signed, versioned week that pupils read and check against /api/keys', async () => {
    await uploadLessonFile(pdf, 'application/pdf');
    const res = await publish(week('# Le cycle de l’eau'));
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ week: WEEK, version: 1 });

    const manifest = await s.app.inject({ url: weekManifestUrl(DEMO_CLASS_ID, WEEK), headers: auth(lea) });
    expect(manifest.statusCode).toBe(200);
    const body = manifest.json<WeekManifest>();
    expect(body.lessons[0]?.attachments).toEqual([
      { sha256: sha256Hex(png), name: 'cycle.png', type: 'image/png', size: png.byteLength },
      { sha256: sha256Hex(pdf), name: 'fiche.pdf', type: 'application/pdf', size: pdf.byteLength },
    ]);
    const keys = (await s.app.inject('/api/keys')).json<KeysReply>().keys;
    const key = keys.find((k) => k.keyId === manifest.headers[MANIFEST_KEY_HEADER]);
    const signature = String(manifest.headers[MANIFEST_SIGNATURE_HEADER]);
    expect(key && verifyReceipt(key.publicKey, manifest.body, signature)).toBe(true);
    expect(key && verifyReceipt(key.publicKey, manifest.body.replace('cycle', 'cyclo'), signature)).toBe(false);

    const file = await s.app.inject({ url: fileUrl(sha256Hex(pdf)) });
    expect(file.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  });

  it('publishes once per publishId, and a correction as the next version', async () => {
    const id = randomUUID();
    const first = await publish(week('v2', 1), id);
    const again = await publish(week('v2', 1), id);
    expect(first.statusCode).toBe(201);
    expect(again.statusCode).toBe(200);
    expect(again.json().version).toBe(first.json().version);
    const fix = await publish(week('v3', 2));
    expect(fix.json().version).toBe(first.json().version + 1);
    const list = await s.app.inject({ url: `/api/classes/${DEMO_CLASS_ID}/publications`, headers: auth(teacher) });
    expect(list.json().publications.filter((p: { week: string }) => p.week === WEEK).length).toBe(3);
  });

  it('hides a scheduled version from pupils until its release time', async () => {
    const res = await publish({ ...week('plus tard', 3), releaseAt: '2027-01-01T07:00:00Z' });
    expect(res.json().releaseAt).toBe('2027-01-01T07:00:00.000Z');
    const seen = await s.app.inject({ url: weekManifestUrl(DEMO_CLASS_ID, WEEK), headers: auth(lea) });
    expect(seen.json<WeekManifest>().lessons[0]?.body).toBe('v3'); // the released version, not the scheduled one
    s.setNow(new Date('2027-01-01T07:00:01Z'));
    try {
      const lea2027 = await s.signIn('lea');
      const later = await s.app.inject({ url: weekManifestUrl(DEMO_CLASS_ID, WEEK), headers: auth(lea2027) });
      expect(later.json<WeekManifest>().lessons[0]?.body).toBe('plus tard');
    } finally {
      s.setNow(new Date('2026-11-25T09:00:00Z'));
    }
  });

  it('never publishes over a version the teacher did not see: 409 stale_base with the current version', async () => {
    const latest = await s.app.inject({
      url: `/api/classes/${DEMO_CLASS_ID}/weeks/${WEEK}/latest`,
      headers: auth(teacher),
    });
    // The newest version, the scheduled one included: what the editor starts from.
    expect(latest.json<WeekManifest>()).toMatchObject({ version: 4, lessons: [{ body: 'plus tard' }] });
    const { baseVersion: _absent, ...unbased } = week('sans base');
    for (const stale of [week('vieux', 2), unbased]) {
      const res = await publish(stale);
      expect(res.statusCode).toBe(409);
      expect(res.json()).toMatchObject({ error: 'stale_base', currentVersion: 4 });
    }
    // Every version stays readable to the teacher, for the history of what each changed.
    const v2 = await s.app.inject({
      url: `/api/classes/${DEMO_CLASS_ID}/weeks/${WEEK}/versions/2`,
      headers: auth(teacher),
    });
    expect(v2.json<WeekManifest>()).toMatchObject({ version: 2, lessons: [{ body: 'v2' }] });
    const v9 = await s.app.inject({
      url: `/api/classes/${DEMO_CLASS_ID}/weeks/${WEEK}/versions/9`,
      headers: auth(teacher),
    });
    expect(v9.statusCode).toBe(404);
    const ahead = await publish(week('futur', 9));
    expect(ahead.json()).toMatchObject({ error: 'stale_base', currentVersion: 4 });
    const rows = await s.ctx.db.selectFrom('week_versions').select('version').where('week', '=', WEEK).execute();
    expect(rows.map((r) => r.version).sort((a, b) => a - b)).toEqual([1, 2, 3, 4]);
    const pupil = await s.app.inject({ url: `/api/classes/${DEMO_CLASS_ID}/weeks/${WEEK}/latest`, headers: auth(lea) });
    expect(pupil.statusCode).toBe(404);
    const none = await s.app.inject({
      url: `/api/classes/${DEMO_CLASS_ID}/weeks/2027-W10/latest`,
      headers: auth(teacher),
    });
    expect(none.statusCode).toBe(404);
  });

  it('keeps an assignment removed from its week reachable, with its copies, and still takes work queued for it', async () => {
    const handIn = (text: string) =>
      s.app.inject({
        method: 'PUT',
        url: `/api/submissions/${randomUUID()}`,
        headers: auth(lea),
        payload: { ...demoHomework(text, WEEK), assignmentId: 'schema' },
      });
    expect((await handIn('mon schéma')).statusCode).toBe(201);
    const { assignments: _gone, ...withoutIt } = week('sans le devoir', 4);
    expect((await publish({ ...withoutIt, assignments: [] })).statusCode).toBe(201);
    // Queued on a pupil's device before the teacher removed it: still received, never refused.
    expect((await handIn('en retard mais là')).statusCode).toBe(201);
    const list = await s.app.inject({ url: `/api/classes/${DEMO_CLASS_ID}/assignments`, headers: auth(teacher) });
    expect(list.statusCode).toBe(200);
    const all = list.json<ClassAssignmentsReply>().assignments;
    expect(all.find((a) => a.week === WEEK && a.assignmentId === 'schema')).toEqual({
      week: WEEK,
      assignmentId: 'schema',
      title: 'Schéma',
      dueAt: '2026-12-04T16:00:00.000Z',
      inWeek: false,
      handedIn: 1,
    });
    expect(all.find((a) => a.assignmentId === 'exercices-fractions')).toMatchObject({ inWeek: true });
  });

  it('refuses files not uploaded yet, repeated ids, pupils and other teachers’ classes, with clear 4xx', async () => {
    const missing = week('x');
    missing.lessons[0]?.attachments.push({ sha256: 'c'.repeat(64), name: 'oubli.mp3' });
    const res = await publish(missing);
    expect(res.statusCode).toBe(422);
    expect(res.json().message).toContain('oubli.mp3');
    const twice = week('x');
    twice.assignments.push({ ...twice.assignments[0]!, id: 'cycle-eau' });
    expect((await publish(twice)).statusCode).toBe(422);
    expect((await publish(week('x'), randomUUID(), lea)).statusCode).toBe(404);
    expect((await publish(week('x'), randomUUID(), teacher, 'cm1-a')).statusCode).toBe(404);
    const bad = await s.app.inject({
      method: 'PUT',
      url: `/api/classes/${DEMO_CLASS_ID}/weeks/${WEEK}/publications/${randomUUID()}`,
      headers: auth(teacher),
      payload: { lessons: 'nope' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toHaveProperty('error');
  });
});

describe('homework limits', () => {
  it('refuses homework over the total its policy announces, naming both sizes, before checking any file', async () => {
    const file = (i: number) => ({
      sha256: String(i).repeat(64),
      name: `p${i}.pdf`,
      type: 'application/pdf',
      size: 15 * 1024 * 1024,
    });
    const res = await s.app.inject({
      method: 'PUT',
      url: `/api/submissions/${randomUUID()}`,
      headers: auth(lea),
      payload: { ...demoHomework('trois gros PDF'), files: [file(1), file(2), file(3)] },
    });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ error: 'homework_too_large' });
    expect(res.json().message).toContain('45 Mo');
    expect(res.json().message).toContain('40 Mo');
  });
});

describe('sync policy and devices', () => {
  it('gives the school’s off-peak window in its time zone', async () => {
    const res = await s.app.inject({ url: '/api/sync-policy', headers: auth(lea) });
    expect(res.json()).toEqual({
      timeZone: 'Europe/Paris',
      windowStart: '19:00',
      windowEnd: '07:00',
      days: [1, 2, 3, 4, 5, 6, 7],
      keepPreviousWeeks: 2,
      // The homework limits the server enforces, so the app says them before saving anything.
      homework: {
        maxFileBytes: 20 * 1024 * 1024,
        maxTotalBytes: 40 * 1024 * 1024,
        maxFiles: 20,
        types: ['image/jpeg', 'image/png', 'image/webp', 'image/heic', 'image/heif', 'application/pdf'],
      },
    });
  });

  it('gives each device its own seat, the same one each time it asks', async () => {
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    const seats = [];
    for (const id of ids)
      seats.push((await s.app.inject({ method: 'PUT', url: `/api/devices/${id}`, headers: auth(lea) })).json().seat);
    expect(new Set(seats).size).toBe(3);
    const again = await s.app.inject({ method: 'PUT', url: `/api/devices/${ids[1]}`, headers: auth(lea) });
    expect(again.json().seat).toBe(seats[1]);
    const all = await Promise.all(
      Array.from({ length: 8 }, () =>
        s.app.inject({ method: 'PUT', url: `/api/devices/${randomUUID()}`, headers: auth(lea) }),
      ),
    );
    const raced = all.map((r) => r.json().seat as number);
    expect(new Set([...seats, ...raced]).size).toBe(11); // registrations at once still get distinct seats
  });
});
