import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileUrl, weekManifestUrl } from '../protocol/paths.ts';
import type { WeekManifest } from '../protocol/schemas.ts';
import { SeededRandom } from '../sync/fakes.ts';
import { startTestServer, type TestServer } from '../test-support/server.ts';
import { retryAdvice, SPREAD_HEADER, WriteGate } from './admission.ts';
import { buildApp } from './app.ts';
import { DEMO_CLASS_ID } from './seed/demo.ts';

describe('retryAdvice', () => {
  it('spreads Retry-After uniformly over the time the backlog needs, never a constant', () => {
    const random = new SeededRandom(11);
    const draws = Array.from({ length: 5000 }, () => retryAdvice(6000, 100, () => random.next()));
    expect(new Set(draws.map((d) => d.spreadSeconds))).toEqual(new Set([60]));
    const values = draws.map((d) => d.retryAfterSeconds);
    expect(Math.min(...values)).toBe(1);
    expect(Math.max(...values)).toBe(60);
    // Uniform: each tenth of the spread gets about a tenth of the clients.
    const buckets = Array.from({ length: 10 }, (_, i) => values.filter((v) => v > i * 6 && v <= (i + 1) * 6).length);
    for (const b of buckets) expect(b).toBeGreaterThan(400);
  });

  it('scales the spread with the backlog, within 5 s and 30 min', () => {
    expect(retryAdvice(1, 100, () => 0.5).spreadSeconds).toBe(5);
    expect(retryAdvice(100_000, 100, () => 0.5).spreadSeconds).toBe(1000);
    expect(retryAdvice(10_000_000, 100, () => 0.5).spreadSeconds).toBe(1800);
  });
});

describe('WriteGate', () => {
  it('runs at most N at once, queues up to M, refuses beyond, and hands a freed slot to the next in line', async () => {
    const gate = new WriteGate(2, 1);
    const a = await (gate.enter() as Promise<() => void>);
    const b = await (gate.enter() as Promise<() => void>);
    const queued = gate.enter();
    expect(queued).toBeInstanceOf(Promise);
    expect(gate.enter()).toBe('shed');
    expect(gate.backlog()).toBe(3);
    a();
    a(); // releasing twice frees one slot only
    const c = await (queued as Promise<() => void>);
    expect(gate.backlog()).toBe(2);
    b();
    c();
    expect(gate.backlog()).toBe(0);
  });

  it('measures completions per second over the last 10 s', async () => {
    let now = 0;
    const gate = new WriteGate(10, 0, () => now);
    for (let i = 0; i < 50; i++) (await (gate.enter() as Promise<() => void>))();
    expect(gate.capacity()).toBe(5);
    now = 20_000;
    expect(gate.capacity()).toBe(1);
  });
});

describe('under pressure', () => {
  let s: TestServer;
  let token: string;
  let manifest: WeekManifest;
  let etag: string;
  let pressed: Awaited<ReturnType<typeof buildApp>>;
  beforeAll(async () => {
    s = await startTestServer();
    token = await s.signIn('lea');
    const res = await s.app.inject({
      url: weekManifestUrl(DEMO_CLASS_ID, '2026-W48'),
      headers: { authorization: `Bearer ${token}` },
    });
    manifest = res.json<WeekManifest>();
    etag = String(res.headers.etag);
    // The same database, served by an app whose heap limit (1 byte) is always exceeded.
    pressed = await buildApp(s.ctx, { admission: { maxHeapUsedBytes: 1, sampleIntervalMs: 10 } });
    await pressed.ready();
    await new Promise((r) => setTimeout(r, 60));
  });
  afterAll(async () => {
    await pressed.close();
    await s.close();
  });

  it('sheds expensive requests with 503, a Retry-After and the spread hint, while health and cheap reads answer', async () => {
    const signIn = await pressed.inject({
      method: 'POST',
      url: '/api/auth/sign-in',
      payload: { username: 'lea', secret: 'soleil-12' },
    });
    expect(signIn.statusCode).toBe(503);
    expect(signIn.json()).toMatchObject({ error: 'overloaded' });
    const retryAfter = Number(signIn.headers['retry-after']);
    const spread = Number(signIn.headers[SPREAD_HEADER]);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(spread);

    const auth = { authorization: `Bearer ${token}` };
    expect((await pressed.inject({ url: weekManifestUrl(DEMO_CLASS_ID, '2026-W48'), headers: auth })).statusCode).toBe(
      503,
    );
    expect(
      (
        await pressed.inject({
          url: weekManifestUrl(DEMO_CLASS_ID, '2026-W48'),
          headers: { ...auth, 'if-none-match': etag },
        })
      ).statusCode,
    ).toBe(304);
    expect((await pressed.inject('/api/health')).statusCode).toBe(200);
    const file = manifest.lessons[0]?.attachments[0];
    expect((await pressed.inject(fileUrl(file?.sha256 ?? ''))).statusCode).toBe(200);
    // Readiness tells the load balancer to send new work elsewhere.
    expect((await pressed.inject('/api/ready')).statusCode).toBe(503);
    expect((await s.app.inject('/api/ready')).statusCode).toBe(200);
  });

  it('gives different clients different Retry-After values', async () => {
    const values = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const res = await pressed.inject({
        method: 'POST',
        url: '/api/auth/sign-in',
        payload: { username: 'lea', secret: 'x' },
      });
      values.add(String(res.headers['retry-after']));
    }
    expect(values.size).toBeGreaterThan(1);
  });

  it('refuses writes beyond the gate’s queue with 503 and advice', async () => {
    const tight = await buildApp(s.ctx, { admission: { maxConcurrentWrites: 1, maxQueuedWrites: 0 } });
    try {
      const attempt = () =>
        tight.inject({ method: 'POST', url: '/api/auth/sign-in', payload: { username: 'hugo', secret: 'nuage-34' } });
      const answers = await Promise.all([attempt(), attempt(), attempt()]);
      const statuses = answers.map((r) => r.statusCode).sort((x, y) => x - y);
      expect(statuses[0]).toBe(200);
      expect(statuses.filter((c) => c === 503).length).toBeGreaterThanOrEqual(1);
      expect(answers.find((r) => r.statusCode === 503)?.headers[SPREAD_HEADER]).toBeDefined();
    } finally {
      await tight.close();
    }
  });
});

describe('recovery period', () => {
  it('is announced on every API answer, from the pupils served and the capacity', async () => {
    const { recoveryPeriodSeconds } = await import('./recovery-period.ts');
    expect(recoveryPeriodSeconds(10_000, 100)).toBe(125);
    expect(recoveryPeriodSeconds(3, 100)).toBe(10);
    const s = await startTestServer();
    try {
      for (const url of ['/api/health', '/api/me', '/api/nothing']) {
        expect((await s.app.inject(url)).headers['cartable-recovery-period']).toBe('10');
      }
      const big = await buildApp(s.ctx, { capacityPerSecond: 0.01 });
      // 3 demo pupils at 0.01 requests/s: ceil(1.25 × 3 / 0.01) = 375 s.
      expect((await big.inject('/api/health')).headers['cartable-recovery-period']).toBe('375');
      await big.close();
    } finally {
      await s.close();
    }
  });
});
