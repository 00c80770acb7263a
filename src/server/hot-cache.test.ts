import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../test-support/server.ts';
import { TtlCache } from './hot-cache.ts';

describe('TtlCache', () => {
  it('forgets an entry at its time, and the oldest entry when full', () => {
    const cache = new TtlCache<string>(2);
    cache.set('a', 'A', 100);
    expect(cache.get('a', 99)).toBe('A');
    expect(cache.get('a', 100)).toBeUndefined();
    cache.set('b', 'B', 1000);
    cache.set('c', 'C', 1000);
    cache.set('d', 'D', 1000);
    expect([cache.get('b', 0), cache.get('c', 0), cache.get('d', 0)]).toEqual([undefined, 'C', 'D']);
  });
});

describe('the app’s hot caches', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer();
  });
  afterAll(async () => s.close());

  const me = (token: string) => s.app.inject({ url: '/api/me', headers: { authorization: `Bearer ${token}` } });

  it('never let a session outlive its expiry, even while cached', async () => {
    const token = await s.signIn('hugo');
    expect((await me(token)).statusCode).toBe(200); // now cached
    const session = await s.ctx.db
      .selectFrom('sessions')
      .select('expires_at')
      .orderBy('created_at', 'desc')
      .executeTakeFirstOrThrow();
    s.setNow(new Date(Date.parse(session.expires_at) + 1));
    try {
      expect((await me(token)).statusCode).toBe(401);
    } finally {
      s.setNow(new Date('2026-11-25T09:00:00Z'));
    }
  });

  it('see a revocation made by another instance within the TTL, and their own at once', async () => {
    const token = await s.signIn('ines');
    expect((await me(token)).statusCode).toBe(200);
    // Another instance signs Inès out: this one still trusts its cache for at most the TTL…
    await s.ctx.db.updateTable('sessions').set({ revoked_at: new Date().toISOString() }).execute();
    expect((await me(token)).statusCode).toBe(200);
    s.setNow(new Date(Date.parse('2026-11-25T09:00:00Z') + (s.ctx.hot?.ttlMs ?? 0) + 1));
    try {
      expect((await me(token)).statusCode).toBe(401);
    } finally {
      s.setNow(new Date('2026-11-25T09:00:00Z'));
    }
  });
});
