import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileUrl, weekManifestUrl } from '../protocol/paths.ts';
import type { WeekManifest } from '../protocol/schemas.ts';
import { startTestServer, type TestServer } from '../test-support/server.ts';
import { type PublishInput, publishWeek } from './publish.ts';
import { DEMO_CLASS_ID } from './seed/demo.ts';

const WEEK = '2026-W48';
let s: TestServer;
let lea: string;

beforeAll(async () => {
  s = await startTestServer();
  lea = await s.signIn('lea');
});
afterAll(async () => s.close());

const auth = (token: string) => ({ authorization: `Bearer ${token}` });

/** Publishes straight into the database, as another instance would; the app's caches then learn it (see hot-cache.ts). */
async function publishBehindTheApp(input: PublishInput) {
  await publishWeek(s.ctx.db, s.ctx.storage, input, s.ctx.now());
  s.ctx.hot?.clear();
}

describe('health', () => {
  it('answers ok when the database answers', async () => {
    const res = await s.app.inject('/api/health');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', database: 'ok' });
  });
});

describe('sign-in and me', () => {
  it('gives a pupil a token that opens /api/me with their class', async () => {
    const res = await s.app.inject({ url: '/api/me', headers: auth(lea) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      user: { displayName: 'Léa Dubois', role: 'pupil' },
      classes: [{ id: DEMO_CLASS_ID, name: 'CM2 B', timeZone: 'Europe/Paris' }],
    });
  });

  it('refuses a wrong secret and an unknown user alike', async () => {
    for (const payload of [
      { username: 'lea', secret: 'faux' },
      { username: 'personne', secret: 'x' },
    ]) {
      const res = await s.app.inject({ method: 'POST', url: '/api/auth/sign-in', payload });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ error: 'invalid_credentials' });
    }
  });

  it('revokes a token on sign-out', async () => {
    const token = await s.signIn('hugo');
    expect((await s.app.inject({ method: 'POST', url: '/api/auth/sign-out', headers: auth(token) })).statusCode).toBe(
      204,
    );
    expect((await s.app.inject({ url: '/api/me', headers: auth(token) })).statusCode).toBe(401);
  });
});

describe('weeks and files', () => {
  it('lists the published week and serves its manifest with an ETag, then 304', async () => {
    const list = await s.app.inject({ url: `/api/classes/${DEMO_CLASS_ID}/weeks`, headers: auth(lea) });
    expect(list.json()).toMatchObject({ weeks: [{ week: WEEK, version: 1 }] });

    const res = await s.app.inject({ url: weekManifestUrl(DEMO_CLASS_ID, WEEK), headers: auth(lea) });
    expect(res.statusCode).toBe(200);
    const manifest = res.json<WeekManifest>();
    expect(manifest.lessons).toHaveLength(3);
    expect(manifest.assignments).toHaveLength(2);
    expect(manifest.lessons.flatMap((l) => l.attachments.map((a) => a.type)).sort()).toEqual([
      'application/pdf',
      'audio/wav',
      'image/png',
    ]);
    const etag = res.headers.etag as string;
    expect(etag).toMatch(/^"[0-9a-f]{64}"$/);
    expect(res.headers['cache-control']).toBe('private, no-cache');

    const again = await s.app.inject({
      url: weekManifestUrl(DEMO_CLASS_ID, WEEK),
      headers: { ...auth(lea), 'if-none-match': etag },
    });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    // No length and no type on a 304: a client can keep using the connection.
    expect(again.headers['content-length']).toBeUndefined();
    expect(again.headers['content-type']).toBeUndefined();
    expect(again.headers.etag).toBe(etag);
  });

  it('serves every file of the week by hash, immutable, with its type and exact bytes', async () => {
    const manifest = (
      await s.app.inject({ url: weekManifestUrl(DEMO_CLASS_ID, WEEK), headers: auth(lea) })
    ).json<WeekManifest>();
    for (const file of manifest.lessons.flatMap((l) => l.attachments)) {
      const res = await s.app.inject(fileUrl(file.sha256));
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toContain(file.type);
      expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(res.rawPayload.byteLength).toBe(file.size);
      const { createHash } = await import('node:crypto');
      expect(createHash('sha256').update(res.rawPayload).digest('hex')).toBe(file.sha256);
    }
    const pdf = manifest.lessons.flatMap((l) => l.attachments).find((a) => a.type === 'application/pdf');
    const bytes = (await s.app.inject(fileUrl(pdf?.sha256 ?? ''))).rawPayload;
    expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
  });

  it('serves a corrected week as a new version with a new ETag; the old version stays stored', async () => {
    const before = await s.app.inject({ url: weekManifestUrl(DEMO_CLASS_ID, '2026-W49'), headers: auth(lea) });
    expect(before.statusCode).toBe(404);
    const input = { classId: DEMO_CLASS_ID, className: 'CM2 B', week: '2026-W49', assignments: [] };
    const lesson = { id: 'l', title: 'T', order: 1, attachments: [] };
    await publishBehindTheApp({ ...input, lessons: [{ ...lesson, body: 'v1' }] });
    const v1 = await s.app.inject({ url: weekManifestUrl(DEMO_CLASS_ID, '2026-W49'), headers: auth(lea) });
    await publishBehindTheApp({ ...input, lessons: [{ ...lesson, body: 'v2' }] });
    const v2 = await s.app.inject({
      url: weekManifestUrl(DEMO_CLASS_ID, '2026-W49'),
      headers: { ...auth(lea), 'if-none-match': v1.headers.etag as string },
    });
    expect(v2.statusCode).toBe(200);
    expect(v2.json<WeekManifest>()).toMatchObject({ version: 2, lessons: [{ body: 'v2' }] });
    expect(v2.headers.etag).not.toBe(v1.headers.etag);
  });

  it('hides a week until its release time', async () => {
    const input = { classId: DEMO_CLASS_ID, className: 'CM2 B', week: '2026-W50', assignments: [], lessons: [] };
    await publishBehindTheApp({ ...input, releaseAt: '2026-12-06T18:00:00.000Z' });
    const res = await s.app.inject({ url: weekManifestUrl(DEMO_CLASS_ID, '2026-W50'), headers: auth(lea) });
    expect(res.statusCode).toBe(404);
  });
});

describe('security headers', () => {
  it('send a strict CSP without inline script, nosniff and no framing on every answer, errors included', async () => {
    for (const url of ['/api/health', '/api/me', '/api/nothing']) {
      const res = await s.app.inject(url);
      const csp = String(res.headers['content-security-policy']);
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).toContain("frame-ancestors 'none'");
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    }
  });
});

describe('OpenAPI', () => {
  it('documents every API route with its schemas', async () => {
    const doc = (await s.app.inject('/api/openapi.json')).json<{ openapi: string; paths: Record<string, object> }>();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/api/auth/device-key',
      '/api/auth/refresh',
      '/api/auth/sign-in',
      '/api/auth/sign-out',
      '/api/classes/{classId}/assignments',
      '/api/classes/{classId}/publications',
      '/api/classes/{classId}/pupils/import',
      '/api/classes/{classId}/readiness',
      '/api/classes/{classId}/weeks',
      '/api/classes/{classId}/weeks/{week}',
      '/api/classes/{classId}/weeks/{week}/assignments/{assignmentId}/submissions',
      '/api/classes/{classId}/weeks/{week}/latest',
      '/api/classes/{classId}/weeks/{week}/publications/{publishId}',
      '/api/classes/{classId}/weeks/{week}/versions/{version}',
      '/api/devices/{deviceId}',
      '/api/feedback',
      '/api/feedback/{id}',
      '/api/feedback/{id}/files/{sha256}',
      '/api/feedback/{id}/seen',
      '/api/files/{sha256}',
      '/api/health',
      '/api/keys',
      '/api/lesson-files/{sha256}',
      '/api/me',
      '/api/ready',
      '/api/school',
      '/api/school/classes',
      '/api/school/devices',
      '/api/school/teachers',
      '/api/submissions/batch',
      '/api/submissions/{id}',
      '/api/submissions/{id}/files/{sha256}',
      '/api/sync-policy',
      '/api/uploads/{sha256}',
      '/api/users/{userId}/card',
    ]);
    expect(JSON.stringify(doc.paths['/api/classes/{classId}/weeks/{week}'])).toContain('bearerAuth');
  });
});

describe('sign-in brute force', () => {
  it('locks an account after 5 wrong secrets with 429 and Retry-After, erases nothing, and unlocks after the delay', async () => {
    const attempt = (secret: string) =>
      s.app.inject({ method: 'POST', url: '/api/auth/sign-in', payload: { username: 'ines', secret } });
    for (let i = 0; i < 5; i++) expect((await attempt('mauvais')).statusCode).toBe(401);
    const locked = await attempt('pluie-56');
    expect(locked.statusCode).toBe(429);
    expect(locked.json()).toMatchObject({
      error: 'too_many_attempts',
      message: 'Trop d’essais : réessaie dans 15 minutes.',
    });
    expect(Number(locked.headers['retry-after'])).toBe(900);
    // Another pupil is not affected.
    expect(
      (
        await s.app.inject({
          method: 'POST',
          url: '/api/auth/sign-in',
          payload: { username: 'hugo', secret: 'nuage-34' },
        })
      ).statusCode,
    ).toBe(200);

    const before = s.ctx.now();
    s.setNow(new Date(before.getTime() + 15 * 60_000 + 1));
    try {
      expect((await attempt('pluie-56')).statusCode).toBe(200);
    } finally {
      s.setNow(before);
    }
  });
});

describe('sign-in lockout under concurrency', () => {
  it('checks at most 5 of 30 guesses sent at once, the right one included, and counts every one', async () => {
    // Three demo pupils' accounts are used by other tests; this one guesses for Inès after the brute-force test's
    // window has passed (its own clock), so the counts start from zero.
    const before = s.ctx.now();
    s.setNow(new Date(before.getTime() + 3_600_000));
    try {
      const guesses = Array.from({ length: 30 }, (_, i) => (i === 29 ? 'pluie-56' : `faux-${i}`));
      const answers = await Promise.all(
        guesses.map((secret) =>
          s.app.inject({
            method: 'POST',
            url: '/api/auth/sign-in',
            remoteAddress: `192.0.2.${guesses.indexOf(secret)}`,
            payload: { username: 'ines', secret },
          }),
        ),
      );
      const statuses = answers.map((a) => a.statusCode);
      // Only five were checked against the hash (401, or 200 for the right one if it was among them); the rest 429.
      expect(statuses.filter((c) => c === 401 || c === 200).length).toBe(5);
      expect(statuses.filter((c) => c === 429).length).toBe(25);
      // The right secret, sent last, came after the lock: refused like the others.
      expect(statuses[29]).toBe(429);
    } finally {
      s.setNow(before);
    }
  });
});

describe('sign-in per address', () => {
  it('answers 429 with Retry-After past 60 attempts a minute from one address, whatever the usernames', async () => {
    const from = (n: number) =>
      s.app.inject({
        method: 'POST',
        url: '/api/auth/sign-in',
        remoteAddress: '203.0.113.7',
        payload: { username: `inconnu-${n}`, secret: 'x' },
      });
    for (let i = 0; i < 60; i++) expect((await from(i)).statusCode).toBe(401);
    const limited = await from(60);
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // Another address still signs in.
    const other = await s.app.inject({
      method: 'POST',
      url: '/api/auth/sign-in',
      remoteAddress: '198.51.100.9',
      payload: { username: 'lea', secret: 'soleil-12' },
    });
    expect(other.statusCode).toBe(200);
  });
});
