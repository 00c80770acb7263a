import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEVICE_REPORT_HEADER, weekManifestUrl } from '../protocol/paths.ts';
import { startTestServer, type TestServer } from '../test-support/server.ts';
import { DEMO_CLASS_ID } from './seed/demo.ts';

// The fast path lives in the HTTP server Fastify is given, so it is tested over a real socket (inject() bypasses it).
let s: TestServer;
let url: string;
let lea: string;
beforeAll(async () => {
  s = await startTestServer(new Date());
  url = await s.app.listen({ port: 0, host: '127.0.0.1' });
  lea = await s.signIn('lea');
});
afterAll(async () => s.close());

const week = () =>
  s.ctx.db
    .selectFrom('week_versions')
    .select(['week', 'etag'])
    .where('class_id', '=', DEMO_CLASS_ID)
    .executeTakeFirstOrThrow();

async function revalidate(token: string, etag: string, path?: string, extra: Record<string, string> = {}) {
  const w = await week();
  const res = await fetch(url + (path ?? weekManifestUrl(DEMO_CLASS_ID, w.week)), {
    headers: { authorization: `Bearer ${token}`, 'if-none-match': etag, ...extra },
  });
  await res.arrayBuffer();
  const headers = Object.fromEntries([...res.headers.entries()].filter(([k]) => k !== 'date'));
  return { status: res.status, headers };
}

describe('revalidation fast path', () => {
  it('answers a known revalidation with the same 304 as the route, and leaves everything else to it', async () => {
    const { etag } = await week();
    s.ctx.hot?.clear();
    const viaFastify = await revalidate(lea, etag); // fills the caches
    const hits = s.ctx.hot?.sessions.size;
    const viaFastPath = await revalidate(lea, etag);
    expect(hits).toBe(1);
    expect(viaFastify.status).toBe(304);
    expect(viaFastPath).toEqual(viaFastify);
    expect(viaFastPath.headers).toMatchObject({ etag, vary: 'authorization', 'cache-control': 'private, no-cache' });
    // A stale ETag, an unknown token, another class: the route answers (200, 401, 404), not the fast path.
    expect((await revalidate(lea, '"ancienne"')).status).toBe(200);
    expect((await revalidate('x'.repeat(43), etag)).status).toBe(401);
    const w = await week();
    expect((await revalidate(lea, etag, `/api/classes/autre-classe/weeks/${w.week}`)).status).toBe(404);
  });

  it('stops answering for a token signed out on this instance', async () => {
    const token = await s.signIn('hugo');
    const { etag } = await week();
    expect((await revalidate(token, etag)).status).toBe(304);
    expect((await revalidate(token, etag)).status).toBe(304);
    await fetch(`${url}/api/auth/sign-out`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect((await revalidate(token, etag)).status).toBe(401);
  });
});

describe('the fast path and the route decide alike', () => {
  it('for every kind of token and user: access, device, refresh, signed out, teacher, admin, no class, other week', async () => {
    const { etag, week: current } = await week();
    const signIn = async (username: string, secret: string) =>
      (await s.app.inject({ method: 'POST', url: '/api/auth/sign-in', payload: { username, secret } })).json<{
        token: string;
        refreshToken: string;
        deviceToken: string;
      }>();
    const pupil = await signIn('ines', 'pluie-56');
    const teacher = await signIn('mme.martin', 'tableau-noir');
    const admin = await signIn('mme.roux', 'craie-blanche');
    const signedOut = await signIn('hugo', 'nuage-34');
    await s.app.inject({
      method: 'POST',
      url: '/api/auth/sign-out',
      headers: { authorization: `Bearer ${signedOut.token}` },
    });
    const cases: [string, string, string][] = [
      ['pupil access', pupil.token, weekManifestUrl(DEMO_CLASS_ID, current)],
      ['pupil device', pupil.deviceToken, weekManifestUrl(DEMO_CLASS_ID, current)],
      ['pupil refresh', pupil.refreshToken, weekManifestUrl(DEMO_CLASS_ID, current)],
      ['teacher access', teacher.token, weekManifestUrl(DEMO_CLASS_ID, current)],
      ['teacher refresh', teacher.refreshToken, weekManifestUrl(DEMO_CLASS_ID, current)],
      ['admin access', admin.token, weekManifestUrl(DEMO_CLASS_ID, current)],
      ['signed out', signedOut.token, weekManifestUrl(DEMO_CLASS_ID, current)],
      ['another class', pupil.token, weekManifestUrl('autre-classe', current)],
      ['a week that does not exist', pupil.token, `/api/classes/${DEMO_CLASS_ID}/weeks/2026-W99`],
    ];
    const differences: string[] = [];
    for (const [name, token, path] of cases) {
      const headers = { authorization: `Bearer ${token}`, 'if-none-match': etag };
      // The route (inject never reaches the fast path), twice so that every cache it fills is warm…
      await s.app.inject({ url: path, headers });
      const route = (await s.app.inject({ url: path, headers })).statusCode;
      // …then a real socket, where the fast path answers whatever it believes it knows.
      const socket = (await revalidate(token, etag, path)).status;
      if (route !== socket) differences.push(`${name}: route ${route}, socket ${socket}`);
    }
    expect(differences).toEqual([]);
  });

  it('notes, like the route, that the pupil’s device holds the current version (Qui est prêt ?)', async () => {
    const { etag } = await week();
    const fresh = await s.signIn('lea'); // a token the fast path has not noted yet (it notes one a minute per week)
    await revalidate(fresh, etag); // the caches filled
    await s.ctx.contacts?.flush();
    await s.ctx.db.deleteFrom('pupil_weeks').execute();
    const teacher = await s.signIn('mme.martin');
    await revalidate(teacher, etag); // a teacher's reading counts for nobody
    const tablet = '00000000-0000-4000-8000-00000000ab1e';
    // Answered by the fast path, from a shared tablet that reports its queue.
    await revalidate(fresh, etag, undefined, { [DEVICE_REPORT_HEADER]: `id=${tablet};queued=2` });
    // Again at once: not noted twice (nothing pending after the flush below but this one).
    await revalidate(fresh, etag, undefined, { [DEVICE_REPORT_HEADER]: `id=${tablet};queued=9` });
    await s.ctx.contacts?.flush();
    const rows = await s.ctx.db.selectFrom('pupil_weeks').select(['user_id', 'version']).execute();
    expect(rows).toEqual([{ user_id: 'demo-lea', version: 1 }]);
    const tablets = await s.ctx.db.selectFrom('device_reports').select(['device_id', 'queued']).execute();
    expect(tablets).toEqual([{ device_id: tablet, queued: 2 }]);
  });
});
