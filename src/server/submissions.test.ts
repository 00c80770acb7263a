import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { submissionBatchUrl, submissionUrl, uploadUrl } from '../protocol/paths.ts';
import type {
  AssignmentSubmissionsReply,
  KeysReply,
  ReceiptPayload,
  SubmissionBatchItem,
  SubmissionBatchReply,
  SubmissionBody,
} from '../protocol/schemas.ts';
import { encryptBody, newBodyKey, sealForServer } from '../storage/crypto-box.ts';
import { startTestServer, type TestServer } from '../test-support/server.ts';
import { verifyReceipt } from './receipts.ts';
import { DEMO_CLASS_ID } from './seed/demo.ts';

const WEEK = '2026-W48';
let s: TestServer;
let lea: string;
let hugo: string;
let teacher: string;
beforeAll(async () => {
  s = await startTestServer();
  [lea, hugo, teacher] = await Promise.all([s.signIn('lea'), s.signIn('hugo'), s.signIn('mme.martin')]);
});
afterAll(async () => s.close());

const auth = (token: string) => ({ authorization: `Bearer ${token}` });
// A real PNG header: homework uploads are sniffed, like lesson files.
const photo = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('a page')]);
const photoSha = createHash('sha256').update(photo).digest('hex');

function body(text: string, files: SubmissionBody['files'] = []): SubmissionBody {
  return {
    classId: DEMO_CLASS_ID,
    week: WEEK,
    assignmentId: 'exercices-fractions',
    text,
    files,
    submittedAt: '2026-11-25T19:00:00.000Z',
  };
}

async function put(token: string, id: string, payload: SubmissionBody) {
  return s.app.inject({ method: 'PUT', url: submissionUrl(id), headers: auth(token), payload });
}

describe('uploads', () => {
  it('store a file by hash once, say when they have it, and refuse bytes that do not match', async () => {
    const head = () => s.app.inject({ method: 'HEAD', url: uploadUrl(photoSha), headers: auth(lea) });
    expect((await head()).statusCode).toBe(404);
    const upload = () =>
      s.app.inject({
        method: 'PUT',
        url: uploadUrl(photoSha),
        headers: { ...auth(lea), 'content-type': 'image/png' },
        payload: photo,
      });
    const first = await upload();
    expect(first.statusCode).toBe(201);
    expect(first.json()).toEqual({ sha256: photoSha, size: photo.byteLength, stored: true });
    expect((await upload()).statusCode).toBe(200);
    expect((await head()).statusCode).toBe(200);

    const wrong = await s.app.inject({
      method: 'PUT',
      url: uploadUrl('a'.repeat(64)),
      headers: { ...auth(lea), 'content-type': 'image/png' },
      payload: photo,
    });
    expect(wrong.statusCode).toBe(422);
    expect(wrong.json()).toMatchObject({ error: 'hash_mismatch' });
  });

  it('refuse a forbidden type and need a token', async () => {
    const html = await s.app.inject({
      method: 'PUT',
      url: uploadUrl(photoSha),
      headers: { ...auth(lea), 'content-type': 'text/html' },
      payload: '<script>alert(1)</script>',
    });
    expect(html.statusCode).toBe(415);
    const anonymous = await s.app.inject({
      method: 'PUT',
      url: uploadUrl(photoSha),
      headers: { 'content-type': 'image/png' },
      payload: photo,
    });
    expect(anonymous.statusCode).toBe(401);
  });
});

describe('PUT /api/submissions/{id}', () => {
  it('answers 201 with a signed receipt, then the same receipt for the same content', async () => {
    const id = randomUUID();
    const file = { sha256: photoSha, name: 'cahier.png', type: 'image/png' as const, size: photo.byteLength };
    const first = await put(lea, id, body('3/4 du rectangle', [file]));
    expect(first.statusCode).toBe(201);
    const { receipt } = first.json<{ receipt: { payload: string; signature: string; receivedAt: string } }>();
    const payload = JSON.parse(receipt.payload) as ReceiptPayload;
    expect(payload).toMatchObject({
      submissionId: id,
      classId: DEMO_CLASS_ID,
      assignmentId: 'exercices-fractions',
      submittedAt: '2026-11-25T19:00:00.000Z',
    });
    expect(payload.receivedAt).toBe(receipt.receivedAt);

    const keys = (await s.app.inject('/api/keys')).json<KeysReply>();
    const key = keys.keys.find((k) => k.keyId === payload.keyId);
    expect(key && verifyReceipt(key.publicKey, receipt.payload, receipt.signature)).toBe(true);
    expect(key && verifyReceipt(key.publicKey, receipt.payload.replace('19:00', '18:00'), receipt.signature)).toBe(
      false,
    );

    const again = await put(lea, id, body('3/4 du rectangle', [file]));
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual({ receipt });
    // And nothing new was stored: one row, no other version.
    const rows = await s.ctx.db.selectFrom('submissions').select('id').where('id', '=', id).execute();
    const versions = await s.ctx.db
      .selectFrom('submission_versions')
      .select('submission_id')
      .where('submission_id', '=', id)
      .execute();
    expect([rows.length, versions.length]).toEqual([1, 0]);
  });

  it('answers 409 for other content under the same id, and keeps both versions for the teacher', async () => {
    const id = randomUUID();
    expect((await put(hugo, id, body('première version'))).statusCode).toBe(201);
    const conflict = await put(hugo, id, body('deuxième version'));
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json()).toMatchObject({ error: 'conflict' });
    // Sending the conflicting version again does not duplicate it.
    expect((await put(hugo, id, body('deuxième version'))).statusCode).toBe(409);

    const view = await s.app.inject({
      url: `/api/classes/${DEMO_CLASS_ID}/weeks/${WEEK}/assignments/exercices-fractions/submissions`,
      headers: auth(teacher),
    });
    expect(view.statusCode).toBe(200);
    const hugoRow = view.json<AssignmentSubmissionsReply>().pupils.find((p) => p.displayName === 'Hugo Petit');
    expect(hugoRow?.submissions.map((x) => [x.text, x.conflict])).toEqual([
      ['première version', true],
      ['deuxième version', true],
    ]);
  });

  it('shows the teacher both times, and marks work submitted on the device after the due date as late', async () => {
    const onTime = randomUUID();
    const late = randomUUID();
    await put(lea, onTime, {
      ...body('à l’heure'),
      assignmentId: 'redaction-cycle-eau',
      submittedAt: '2026-11-26T10:00:00.000Z',
    });
    await put(lea, late, {
      ...body('en retard'),
      assignmentId: 'redaction-cycle-eau',
      submittedAt: '2026-11-28T10:00:00.000Z',
    });
    const view = await s.app.inject({
      url: `/api/classes/${DEMO_CLASS_ID}/weeks/${WEEK}/assignments/redaction-cycle-eau/submissions`,
      headers: auth(teacher),
    });
    const leaRow = view.json<AssignmentSubmissionsReply>().pupils.find((p) => p.displayName === 'Léa Dubois');
    expect(leaRow?.submissions.map((x) => [x.text, x.late, x.submittedAt])).toEqual([
      ['à l’heure', false, '2026-11-26T10:00:00.000Z'],
      ['en retard', true, '2026-11-28T10:00:00.000Z'],
    ]);
    expect(leaRow?.submissions.every((x) => x.receivedAt === s.ctx.now().toISOString())).toBe(true);
  });

  it('refuses with a reason: unknown assignment, file not uploaded, not a pupil of the class, a teacher submitting', async () => {
    const unknown = await put(lea, randomUUID(), { ...body('x'), assignmentId: 'inconnu' });
    expect([unknown.statusCode, unknown.json().error]).toEqual([422, 'unknown_assignment']);
    const missing = await put(
      lea,
      randomUUID(),
      body('x', [{ sha256: 'b'.repeat(64), name: 'photo.jpg', type: 'image/jpeg', size: 3 }]),
    );
    expect([missing.statusCode, missing.json().error]).toEqual([422, 'missing_file']);
    const otherClass = await put(lea, randomUUID(), { ...body('x'), classId: 'autre-classe' });
    expect(otherClass.statusCode).toBe(404);
    const teacherPut = await put(teacher, randomUUID(), body('x'));
    expect([teacherPut.statusCode, teacherPut.json().error]).toEqual([403, 'pupils_only']);
    const badId = await s.app.inject({
      method: 'PUT',
      url: submissionUrl('not-a-uuid'),
      headers: auth(lea),
      payload: body('x'),
    });
    expect(badId.statusCode).toBe(400);
  });

  it('lets the pupil and the teacher download a submitted file, nobody else', async () => {
    const id = randomUUID();
    const file = { sha256: photoSha, name: 'cahier page 1.png', type: 'image/png' as const, size: photo.byteLength };
    expect((await put(lea, id, body('avec photo', [file]))).statusCode).toBe(201);
    const url = `/api/submissions/${id}/files/${photoSha}`;
    for (const token of [lea, teacher]) {
      const res = await s.app.inject({ url, headers: auth(token) });
      expect(res.statusCode).toBe(200);
      expect(res.rawPayload.equals(photo)).toBe(true);
      expect(res.headers['content-disposition']).toBe('attachment; filename="cahier_page_1.png"');
    }
    expect((await s.app.inject({ url, headers: auth(hugo) })).statusCode).toBe(404);
    // Homework is not served publicly by hash.
    expect((await s.app.inject(`/api/files/${photoSha}`)).statusCode).toBe(404);
  });
});

describe('a batch of submissions', () => {
  const batch = (token: string, items: SubmissionBatchItem[]) =>
    s.app.inject({ method: 'POST', url: submissionBatchUrl(), headers: auth(token), payload: { items } });
  const stored = async (ids: string[]) => ({
    rows: (await s.ctx.db.selectFrom('submissions').select('id').where('id', 'in', ids).execute()).length,
    versions: (
      await s.ctx.db
        .selectFrom('submission_versions')
        .select('submission_id')
        .where('submission_id', 'in', ids)
        .execute()
    ).length,
  });
  async function sealedItem(id: string, payload: SubmissionBody): Promise<SubmissionBatchItem> {
    const keys = (await s.app.inject('/api/keys')).json<KeysReply>();
    if (!keys.sealing) throw new Error('no sealing key');
    const key = await newBodyKey();
    const enc = await encryptBody(key, new TextEncoder().encode(JSON.stringify(payload)));
    return {
      id,
      seal: `${await sealForServer(keys.sealing, key)}.${enc.iv}`,
      sealed: Buffer.from(enc.ct).toString('base64url'),
    };
  }

  it('answers each item as its own PUT would, and a repeated batch stores nothing new', async () => {
    const [a, b, c, d] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    expect((await put(lea, a, body('déjà envoyé'))).statusCode).toBe(201);
    const items: SubmissionBatchItem[] = [
      { id: a, submission: body('déjà envoyé') },
      { id: b, submission: body('nouveau') },
      await sealedItem(c, body('scellé')),
      { id: d, submission: { ...body('inconnu'), assignmentId: 'pas-un-devoir' } },
    ];
    const first = await batch(lea, items);
    expect(first.statusCode).toBe(200);
    const results = first.json<SubmissionBatchReply>().results;
    expect(results.map((r) => [r.id, r.status, r.error])).toEqual([
      [a, 200, undefined],
      [b, 201, undefined],
      [c, 201, undefined],
      [d, 422, 'unknown_assignment'],
    ]);
    const payload = JSON.parse(results[2]?.receipt?.payload ?? '{}') as ReceiptPayload;
    expect([payload.submissionId, payload.pupilId]).toEqual([c, 'demo-lea']);
    const text = await s.ctx.db.selectFrom('submissions').select('text').where('id', '=', c).executeTakeFirst();
    expect(text?.text).toBe('scellé');

    const again = (await batch(lea, items)).json<SubmissionBatchReply>().results;
    expect(again.map((r) => r.status)).toEqual([200, 200, 200, 422]);
    expect(again.map((r) => r.receipt)).toEqual(results.map((r) => r.receipt));
    expect(await stored([a, b, c, d])).toEqual({ rows: 3, versions: 0 });
  });

  it('keeps other content under a known id as a version (409), and stores nothing under another pupil’s id', async () => {
    const mine = randomUUID();
    const theirs = randomUUID();
    expect((await put(lea, mine, body('première version'))).statusCode).toBe(201);
    expect((await put(hugo, theirs, body('la copie de Hugo'))).statusCode).toBe(201);
    const results = (
      await batch(lea, [
        { id: mine, submission: body('deuxième version') },
        { id: theirs, submission: body('par-dessus Hugo') },
      ])
    ).json<SubmissionBatchReply>().results;
    expect(results.map((r) => [r.status, r.error])).toEqual([
      [409, 'conflict'],
      [409, 'conflict'],
    ]);
    expect(await stored([mine])).toEqual({ rows: 1, versions: 1 });
    expect(await stored([theirs])).toEqual({ rows: 1, versions: 0 });
  });

  it('refuses a teacher whole, a tampered seal as bad_seal, and a malformed batch whole with 400', async () => {
    const byTeacher = await batch(teacher, [{ id: randomUUID(), submission: body('x') }]);
    expect([byTeacher.statusCode, byTeacher.json<{ error: string }>().error]).toEqual([403, 'pupils_only']);
    const good = await sealedItem(randomUUID(), body('scellé'));
    const tampered = { ...good, sealed: `${'sealed' in good ? good.sealed.slice(0, -4) : ''}AAAA` };
    const sealedResults = (await batch(lea, [tampered])).json<SubmissionBatchReply>().results;
    expect(sealedResults.map((r) => [r.status, r.error])).toEqual([[400, 'bad_seal']]);
    const tooMany = Array.from({ length: 26 }, () => ({ id: randomUUID(), submission: body('x') }));
    const res = await batch(lea, tooMany);
    expect(res.statusCode).toBe(400);
    expect(res.json<{ error: string }>().error).toBe('invalid_request');
    const anonymous = await s.app.inject({ method: 'POST', url: submissionBatchUrl(), payload: { items: [] } });
    expect(anonymous.statusCode).toBe(401);
  });
});
