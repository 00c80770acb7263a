// Returning a copy: versions, idempotency, privacy, the pupil's list with its ETag, and read marks (SQLite, and
// PostgreSQL with TEST_BACKEND=postgres).
import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  feedbackFileUrl,
  feedbackSeenUrl,
  feedbackUrl,
  myFeedbackUrl,
  SEALED_FILE_HEADER,
  submissionUrl,
} from '../protocol/paths.ts';
import type {
  AssignmentSubmissionsReply,
  FeedbackBody,
  FeedbackListReply,
  FeedbackReply,
  SealedFeedbackReply,
} from '../protocol/schemas.ts';
import {
  decryptBody,
  generateProfileKeys,
  importBodyKey,
  openJson,
  openSeal,
  type Sealed,
} from '../storage/crypto-box.ts';
import { startTestServer, type TestServer } from '../test-support/server.ts';
import { DEMO_CLASS_ID } from './seed/demo.ts';

const WEEK = '2026-W48';
let s: TestServer;
let lea: string;
let hugo: string;
let teacher: string;
let leaCopy: string;
let hugoCopy: string;
const auth = (token: string) => ({ authorization: `Bearer ${token}` });

async function handIn(token: string, text: string): Promise<string> {
  const id = randomUUID();
  const res = await s.app.inject({
    method: 'PUT',
    url: submissionUrl(id),
    headers: auth(token),
    payload: {
      classId: DEMO_CLASS_ID,
      week: WEEK,
      assignmentId: 'exercices-fractions',
      text,
      files: [],
      submittedAt: '2026-11-25T08:30:00.000Z',
    },
  });
  expect(res.statusCode).toBe(201);
  return id;
}

const body = (submissionId: string, comment: string, assessment: FeedbackBody['assessment'] = { kind: 'none' }) => ({
  submissionId,
  comment,
  assessment,
  writtenAt: '2026-11-25T10:00:00.000Z',
});
const give = (id: string, payload: unknown, token = teacher) =>
  s.app.inject({ method: 'PUT', url: feedbackUrl(id), headers: auth(token), payload: payload as object });
const listOf = async (token: string, etag?: string) =>
  s.app.inject({ url: myFeedbackUrl(), headers: { ...auth(token), ...(etag ? { 'if-none-match': etag } : {}) } });

beforeAll(async () => {
  s = await startTestServer();
  [lea, hugo, teacher] = await Promise.all([s.signIn('lea'), s.signIn('hugo'), s.signIn('mme.martin')]);
  leaCopy = await handIn(lea, '3/4 + 1/4 = 1');
  hugoCopy = await handIn(hugo, '1/2 + 1/2 = 2/4');
});
afterAll(async () => s.close());

describe('returning a copy', () => {
  it('stores a return once per id: the same again answers the same version, other content under it 409', async () => {
    const id = randomUUID();
    const first = await give(id, body(leaCopy, 'Très bien.', { kind: 'mark', mark: 9.5, outOf: 10 }));
    expect(first.statusCode).toBe(201);
    const stored = first.json<FeedbackReply>().feedback;
    expect(stored).toMatchObject({ submissionId: leaCopy, version: 1, comment: 'Très bien.', classId: DEMO_CLASS_ID });
    const again = await give(id, body(leaCopy, 'Très bien.', { kind: 'mark', mark: 9.5, outOf: 10 }));
    expect(again.statusCode).toBe(200);
    expect(again.json<FeedbackReply>().feedback).toEqual(stored);
    const other = await give(id, body(leaCopy, 'Autre chose.'));
    expect(other.statusCode).toBe(409);
    expect(other.json()).toMatchObject({ error: 'conflict' });
    const rows = await s.ctx.db.selectFrom('feedback').selectAll().where('id', '=', id).execute();
    expect(rows.map((r) => r.comment)).toEqual(['Très bien.']);
  });

  it('keeps every correction as a new version; the pupil and the teacher see the newest', async () => {
    const v1 = await give(randomUUID(), body(hugoCopy, 'Revois l’exercice 3.', { kind: 'level', level: 'non_acquis' }));
    const v2 = await give(randomUUID(), body(hugoCopy, 'Corrigé : c’est mieux.', { kind: 'level', level: 'acquis' }));
    expect([v1.statusCode, v2.statusCode]).toEqual([201, 201]);
    expect(v2.json<FeedbackReply>().feedback.version).toBe(v1.json<FeedbackReply>().feedback.version + 1);
    const versions = await s.ctx.db
      .selectFrom('feedback')
      .select(['version', 'comment'])
      .where('submission_id', '=', hugoCopy)
      .orderBy('version')
      .execute();
    expect(versions.map((v) => v.comment)).toEqual(['Revois l’exercice 3.', 'Corrigé : c’est mieux.']);
    const mine = (await listOf(hugo)).json<FeedbackListReply>().feedback;
    expect(mine.map((f) => f.comment)).toEqual(['Corrigé : c’est mieux.']);
    const seenByTeacher = (
      await s.app.inject({
        url: `/api/classes/${DEMO_CLASS_ID}/weeks/${WEEK}/assignments/exercices-fractions/submissions`,
        headers: auth(teacher),
      })
    ).json<AssignmentSubmissionsReply>();
    const hugoRow = seenByTeacher.pupils.find((p) => p.submissions.some((v) => v.submissionId === hugoCopy));
    expect(hugoRow?.submissions.find((v) => v.submissionId === hugoCopy)?.feedback).toMatchObject({
      comment: 'Corrigé : c’est mieux.',
      assessment: { kind: 'level', level: 'acquis' },
    });
  });

  it('gives concurrent returns of one copy distinct versions, and the same return sent 20 times at once one row', async () => {
    const ids = Array.from({ length: 6 }, () => randomUUID());
    const answers = await Promise.all(ids.map((id, i) => give(id, body(leaCopy, `Version ${i}`))));
    expect(answers.map((a) => a.statusCode)).toEqual(ids.map(() => 201));
    const numbers = answers.map((a) => a.json<FeedbackReply>().feedback.version);
    expect(new Set(numbers).size).toBe(ids.length);
    const same = randomUUID();
    const repeats = await Promise.all(Array.from({ length: 20 }, () => give(same, body(leaCopy, 'Une fois.'))));
    expect(repeats.map((r) => r.statusCode).sort((a, b) => a - b)).toEqual([
      ...Array.from({ length: 19 }, () => 200),
      201,
    ]);
    const rows = await s.ctx.db.selectFrom('feedback').select('id').where('id', '=', same).execute();
    expect(rows).toHaveLength(1);
  });

  it('refuses a mark over its scale, a copy that does not exist and a pupil, with a JSON error', async () => {
    const over = await give(randomUUID(), body(leaCopy, '', { kind: 'mark', mark: 21, outOf: 20 }));
    expect([over.statusCode, over.json().error]).toEqual([422, 'invalid_mark']);
    const unknown = await give(randomUUID(), body(randomUUID(), 'Perdu ?'));
    expect([unknown.statusCode, unknown.json().error]).toEqual([404, 'not_found']);
    const byPupil = await give(randomUUID(), body(leaCopy, 'Je me corrige seule.'), lea);
    expect(byPupil.statusCode).toBe(404);
    const nul = await give(randomUUID(), body(leaCopy, 'a\u0000b'));
    expect(nul.statusCode).toBe(400);
  });
});

describe('the pupil’s returns', () => {
  it('are private: a pupil reads only their own, and cannot mark another’s as seen', async () => {
    const forHugo = await give(randomUUID(), body(hugoCopy, 'Pour Hugo seulement.'));
    const hugoFeedback = forHugo.json<FeedbackReply>().feedback.feedbackId;
    const leas = (await listOf(lea)).json<FeedbackListReply>().feedback;
    expect(leas.length).toBeGreaterThan(0);
    expect(leas.every((f) => f.submissionId === leaCopy)).toBe(true);
    const meddling = await s.app.inject({
      method: 'PUT',
      url: feedbackSeenUrl(hugoFeedback),
      headers: auth(lea),
      payload: { seenAt: '2026-11-25T18:00:00.000Z' },
    });
    expect(meddling.statusCode).toBe(404);
    const row = await s.ctx.db
      .selectFrom('feedback')
      .select('seen_at')
      .where('id', '=', hugoFeedback)
      .executeTakeFirst();
    expect(row?.seen_at).toBeNull();
  });

  it('answer 304 while nothing changed, and a new ETag after a new return or a read mark', async () => {
    const first = await listOf(lea);
    const etag = first.headers.etag as string;
    expect(first.statusCode).toBe(200);
    expect((await listOf(lea, etag)).statusCode).toBe(304);
    const newest = await give(randomUUID(), body(leaCopy, 'Encore une correction.'));
    const changed = await listOf(lea, etag);
    expect(changed.statusCode).toBe(200);
    const etag2 = changed.headers.etag as string;
    expect(etag2).not.toBe(etag);
    const id = newest.json<FeedbackReply>().feedback.feedbackId;
    const seen = () =>
      s.app.inject({
        method: 'PUT',
        url: feedbackSeenUrl(id),
        headers: auth(lea),
        payload: { seenAt: '2026-11-25T18:00:00.000Z' },
      });
    expect((await seen()).json<FeedbackReply>().feedback.seenAt).toBe('2026-11-25T18:00:00.000Z');
    const later = await s.app.inject({
      method: 'PUT',
      url: feedbackSeenUrl(id),
      headers: auth(lea),
      payload: { seenAt: '2026-11-26T18:00:00.000Z' },
    });
    // The first reading is kept.
    expect(later.json<FeedbackReply>().feedback.seenAt).toBe('2026-11-25T18:00:00.000Z');
    const afterSeen = await listOf(lea, etag2);
    expect(afterSeen.statusCode).toBe(200);
    expect(afterSeen.json<FeedbackListReply>().feedback.find((f) => f.feedbackId === id)?.seenAt).toBe(
      '2026-11-25T18:00:00.000Z',
    );
  });
});

describe('returns fetched with a device token (a tablet at its off-peak slot)', () => {
  it('come only as ciphertext sealed to the profile key the pupil bound to that token, once', async () => {
    const signedIn = await s.app.inject({
      method: 'POST',
      url: '/api/auth/sign-in',
      payload: { username: 'lea', secret: 'soleil-12' },
    });
    const { token, deviceToken } = signedIn.json<{ token: string; deviceToken: string }>();
    const unbound = await listOf(deviceToken);
    expect([unbound.statusCode, unbound.json().error]).toEqual([403, 'no_profile_key']);

    const profile = await generateProfileKeys();
    const bind = (bearer: string, publicKey: string) =>
      s.app.inject({
        method: 'POST',
        url: '/api/auth/device-key',
        headers: auth(bearer),
        payload: { deviceToken, publicKey },
      });
    // Someone else (Hugo) cannot bind Léa's token; a key that is not a P-256 point is refused.
    expect((await bind(hugo, profile.publicKey)).statusCode).toBe(404);
    expect((await bind(token, 'A'.repeat(87))).statusCode).toBe(422);
    expect((await bind(token, profile.publicKey)).statusCode).toBe(204);
    expect((await bind(token, profile.publicKey)).statusCode).toBe(204);
    // Whoever holds the token later (it is in clear on a shared tablet) cannot bind a key of their own.
    const intruder = await generateProfileKeys();
    expect((await bind(token, intruder.publicKey)).statusCode).toBe(409);

    const sealed = await listOf(deviceToken);
    expect(sealed.statusCode).toBe(200);
    const reply = sealed.json<SealedFeedbackReply>();
    expect(reply.files).toEqual([]);
    expect(JSON.stringify(reply)).not.toContain('correction');
    const opened = await openJson<FeedbackListReply['feedback']>(profile.privateKey, reply.sealed);
    expect(opened).toEqual((await listOf(lea)).json<FeedbackListReply>().feedback);
    await expect(openJson(intruder.privateKey, reply.sealed)).rejects.toThrow(/decrypt|operation/i);
    // Its own ETag (a different body from the clear one), and a 304 to it while nothing changed.
    const etag = sealed.headers.etag as string;
    expect(etag).not.toBe((await listOf(lea)).headers.etag);
    expect((await listOf(deviceToken, etag)).statusCode).toBe(304);
  });
});

describe('files returned with a copy', () => {
  it('are the teacher’s own uploads, read by the pupil, and reach a tablet only encrypted to the profile', async () => {
    const annotated = Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      Buffer.from('red ink'),
    ]);
    const sha256 = createHash('sha256').update(annotated).digest('hex');
    const upload = (token: string) =>
      s.app.inject({
        method: 'PUT',
        url: `/api/uploads/${sha256}`,
        headers: { ...auth(token), 'content-type': 'image/png' },
        payload: annotated,
      });
    const file = { sha256, name: 'copie-annotée.png', type: 'image/png' as const, size: annotated.byteLength };
    const withFile = { ...body(leaCopy, 'Vois les annotations.'), files: [file] };
    // Not uploaded by the teacher (Léa has it): refused, a hash is no key to someone else's file.
    expect((await upload(lea)).statusCode).toBe(201);
    const notHers = await give(randomUUID(), withFile);
    expect([notHers.statusCode, notHers.json().error]).toEqual([422, 'missing_file']);
    expect((await upload(teacher)).statusCode).toBe(201);
    const returned = await give(randomUUID(), withFile);
    expect(returned.statusCode).toBe(201);
    const id = returned.json<FeedbackReply>().feedback.feedbackId;
    expect(returned.json<FeedbackReply>().feedback.files).toEqual([file]);

    const read = (token: string) => s.app.inject({ url: feedbackFileUrl(id, sha256), headers: auth(token) });
    const byLea = await read(lea);
    expect([byLea.statusCode, byLea.headers['content-type']]).toEqual([200, 'image/png']);
    expect(Buffer.compare(byLea.rawPayload, annotated)).toBe(0);
    expect((await read(hugo)).statusCode).toBe(404);
    expect((await read(teacher)).statusCode).toBe(200);

    // With a device token bound to a profile key: ciphertext, its key sealed to the profile.
    const signedIn = await s.app.inject({
      method: 'POST',
      url: '/api/auth/sign-in',
      payload: { username: 'lea', secret: 'soleil-12' },
    });
    const { token, deviceToken } = signedIn.json<{ token: string; deviceToken: string }>();
    const profile = await generateProfileKeys();
    await s.app.inject({
      method: 'POST',
      url: '/api/auth/device-key',
      headers: auth(token),
      payload: { deviceToken, publicKey: profile.publicKey },
    });
    const byTablet = await read(deviceToken);
    expect(byTablet.statusCode).toBe(200);
    expect(byTablet.rawPayload.includes(Buffer.from('red ink'))).toBe(false);
    const [iv = '', sealedKey = ''] = String(byTablet.headers[SEALED_FILE_HEADER]).split('.');
    const raw = await openSeal(
      profile.privateKey,
      JSON.parse(Buffer.from(sealedKey, 'base64url').toString()) as Sealed,
    );
    const plain = await decryptBody(await importBodyKey(raw), iv, new Uint8Array(byTablet.rawPayload));
    expect(Buffer.compare(Buffer.from(plain), annotated)).toBe(0);
    const list = (await listOf(deviceToken)).json<SealedFeedbackReply>();
    expect(list.files).toContainEqual({ feedbackId: id, sha256, size: annotated.byteLength });
  });
});
