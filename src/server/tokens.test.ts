// Access, refresh and device tokens: lifetimes, rotation, replay, sign-out, and a new card.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../test-support/server.ts';
import { ACCESS_TTL_MS } from './routes/auth.ts';

let s: TestServer;
beforeEach(async () => {
  s = await startTestServer();
});
afterEach(async () => s.close());

interface Tokens {
  token: string;
  refreshToken: string;
  deviceToken: string;
}

async function signIn(): Promise<Tokens> {
  const res = await s.app.inject({
    method: 'POST',
    url: '/api/auth/sign-in',
    payload: { username: 'lea', secret: 'soleil-12' },
  });
  expect(res.statusCode).toBe(200);
  return res.json<Tokens>();
}
const me = (token: string) => s.app.inject({ url: '/api/me', headers: { authorization: `Bearer ${token}` } });
const weeks = (token: string) =>
  s.app.inject({ url: '/api/classes/cm2-b/weeks', headers: { authorization: `Bearer ${token}` } });
const refresh = (refreshToken: string) =>
  s.app.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken } });
const later = (ms: number) => {
  s.setNow(new Date(s.ctx.now().getTime() + ms));
  s.ctx.hot?.clear();
};

describe('tokens', () => {
  it('gives an access token of minutes, renewed by a single-use refresh token', async () => {
    const first = await signIn();
    expect((await me(first.token)).statusCode).toBe(200);
    later(ACCESS_TTL_MS + 1000);
    expect((await me(first.token)).statusCode).toBe(401);
    const renewed = await refresh(first.refreshToken);
    expect(renewed.statusCode).toBe(200);
    const next = renewed.json<Tokens>();
    expect(next.refreshToken).not.toBe(first.refreshToken);
    expect((await me(next.token)).statusCode).toBe(200);
    // The device token outlives the access token: a tablet still fetches weeks for a pupil who left.
    expect((await weeks(first.deviceToken)).statusCode).toBe(200);
  });

  it('treats a refresh token used twice as stolen: the whole sign-in is revoked, the device token is not', async () => {
    const first = await signIn();
    const next = (await refresh(first.refreshToken)).json<Tokens>();
    const replay = await refresh(first.refreshToken);
    expect(replay.statusCode).toBe(401);
    expect(replay.json()).toMatchObject({ error: 'invalid_refresh_token' });
    expect((await me(next.token)).statusCode).toBe(401);
    expect((await refresh(next.refreshToken)).statusCode).toBe(401);
    expect((await weeks(first.deviceToken)).statusCode).toBe(200);
  });

  it('signs out the access and refresh tokens together, and keeps the device token sending', async () => {
    const t = await signIn();
    const out = await s.app.inject({
      method: 'POST',
      url: '/api/auth/sign-out',
      headers: { authorization: `Bearer ${t.token}` },
    });
    expect(out.statusCode).toBe(204);
    expect((await me(t.token)).statusCode).toBe(401);
    expect((await refresh(t.refreshToken)).statusCode).toBe(401);
    expect((await weeks(t.deviceToken)).statusCode).toBe(200);
    // Signing out with the device token ends it too (a profile forgotten on the tablet).
    await s.app.inject({
      method: 'POST',
      url: '/api/auth/sign-out',
      headers: { authorization: `Bearer ${t.deviceToken}` },
    });
    s.ctx.hot?.clear();
    expect((await weeks(t.deviceToken)).statusCode).toBe(401);
  });

  it('refuses a malformed or unknown refresh token with a JSON 4xx', async () => {
    expect((await refresh('x'.repeat(43))).statusCode).toBe(401);
    const bad = await s.app.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: 1 } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toHaveProperty('error');
  });

  it('lets an admin create a teacher whose card signs in, and refuses the same name twice with 409', async () => {
    const admin = await s.signIn('mme.roux');
    const create = () =>
      s.app.inject({
        method: 'POST',
        url: '/api/school/teachers',
        headers: { authorization: `Bearer ${admin}` },
        payload: { firstName: 'Élise', lastName: 'Fournier' },
      });
    const made = await create();
    expect(made.statusCode).toBe(201);
    const card = made.json<{ username: string; secret: string }>();
    expect(card.username).toBe('elise.fournier');
    const signedIn = await s.app.inject({
      method: 'POST',
      url: '/api/auth/sign-in',
      payload: { username: card.username, secret: card.secret },
    });
    expect(signedIn.json()).toMatchObject({ user: { role: 'teacher', displayName: 'Élise Fournier' } });
    const again = await create();
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ error: 'username_taken' });
  });

  it('revokes every token of a pupil whose admin printed a new card, and the new secret signs in', async () => {
    const t = await signIn();
    const admin = await s.signIn('mme.roux');
    const card = await s.app.inject({
      method: 'POST',
      url: '/api/users/demo-lea/card',
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(card.statusCode).toBe(200);
    const { secret } = card.json<{ secret: string }>();
    for (const token of [t.token, t.deviceToken]) expect((await weeks(token)).statusCode).toBe(401);
    expect((await refresh(t.refreshToken)).statusCode).toBe(401);
    const old = await s.app.inject({
      method: 'POST',
      url: '/api/auth/sign-in',
      payload: { username: 'lea', secret: 'soleil-12' },
    });
    expect(old.statusCode).toBe(401);
    const fresh = await s.app.inject({
      method: 'POST',
      url: '/api/auth/sign-in',
      payload: { username: 'lea', secret },
    });
    expect(fresh.statusCode).toBe(200);
  });
});
