import { createHash } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import type { FileStorage } from './files/file-storage.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileUrl, weekManifestUrl } from '../protocol/paths.ts';
import type { WeekManifest } from '../protocol/schemas.ts';
import { demoHomework } from '../test-support/demo-homework.ts';
import { startTestServer, type TestServer } from '../test-support/server.ts';
import { RETRY_SPREAD_HEADER as SPREAD_HEADER } from '../protocol/paths.ts';
import { RetrySlots, WriteGate } from './admission.ts';
import { AdaptiveLimit } from './concurrency-limit.ts';
import { buildApp } from './app.ts';
import { DEFAULT_WINDOW } from './routes/sync.ts';
import { DEMO_CLASS_ID } from './seed/demo.ts';

describe('RetrySlots', () => {
  it('gives each refused client its own later slot, at 90 % of capacity per second', () => {
    const slots = new RetrySlots(() => 0);
    const advice = Array.from({ length: 900 }, () => slots.assign(100));
    const retryAfter = advice.map((a) => a.retryAfterSeconds);
    // 900 clients at 90 per second: slots from 1 s to about 11 s, in order, about 90 per second.
    expect(retryAfter[0]).toBe(2);
    expect(retryAfter.at(-1)).toBeGreaterThanOrEqual(11);
    expect(retryAfter.at(-1)).toBeLessThanOrEqual(12);
    for (let i = 1; i < retryAfter.length; i++) expect(retryAfter[i]).toBeGreaterThanOrEqual(retryAfter[i - 1] ?? 0);
    const perSecond = new Map<number, number>();
    for (const r of retryAfter) perSecond.set(r, (perSecond.get(r) ?? 0) + 1);
    expect(Math.max(...perSecond.values())).toBeLessThanOrEqual(91);
    // The spread is the horizon of the slots given, never under 5 s.
    expect(advice.at(-1)?.spreadSeconds).toBe(retryAfter.at(-1));
    expect(advice[0]?.spreadSeconds).toBe(5);
  });

  it('starts again near now once the slots given have passed', () => {
    let now = 0;
    const slots = new RetrySlots(() => now);
    for (let i = 0; i < 1000; i++) slots.assign(10);
    now = 3_600_000;
    expect(slots.assign(10).retryAfterSeconds).toBe(2);
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

  it('counts what it completed and how long requests waited, for the capacity meter', async () => {
    let t = 0;
    const gate = new WriteGate(1, 10, undefined, () => t);
    const a = await (gate.enter() as Promise<() => void>);
    const queued = gate.enter() as Promise<() => void>;
    t = 300;
    a();
    const b = await queued;
    t = 400;
    expect(gate.takeStats()).toEqual({ completed: 1, queuedMs: 300 });
    const waiting = gate.enter() as Promise<() => void>;
    t = 1000;
    // Still waiting at the sample: counted up to it, and from it on in the next one.
    expect(gate.takeStats()).toEqual({ completed: 0, queuedMs: 600 });
    t = 1200;
    b();
    (await waiting)();
    expect(gate.takeStats()).toEqual({ completed: 2, queuedMs: 200 });
  });

  it('with a limiter, has the slots it learnt from each request’s time in its slot, within its maximum', async () => {
    let t = 0;
    const limiter = new AdaptiveLimit({ initial: 16, min: 1, max: 16, windowSamples: 4, windowMs: 0 }, () => t);
    const gate = new WriteGate(8, 100, limiter, () => t);
    expect(gate.limit()).toBe(8);
    // One worker behind the gate: a request takes 10 ms per request in a slot.
    const running: (() => void)[] = [];
    for (let i = 0; i < 8; i++) running.push(await (gate.enter() as Promise<() => void>));
    const release = (n: number) => {
      for (let i = 0; i < n; i++) {
        t += 10 * Math.max(1, running.length);
        running.shift()?.();
      }
    };
    // Windows at 1 in flight say what no queue costs, then full windows show a queue: the limit comes down.
    const one = async () => {
      const r = await (gate.enter() as Promise<() => void>);
      t += 10;
      r();
    };
    release(8);
    for (let i = 0; i < 8; i++) await one();
    for (let round = 0; round < 6; round++) {
      const n = gate.limit();
      for (let i = 0; i < n; i++) running.push(await (gate.enter() as Promise<() => void>));
      release(n);
    }
    expect(gate.limit()).toBeLessThan(8);
    expect(gate.limit()).toBeGreaterThanOrEqual(1);
    // The slots are the limit's: one more request than the limit waits.
    const held: (() => void)[] = [];
    for (let i = 0; i < gate.limit(); i++) held.push(await (gate.enter() as Promise<() => void>));
    const extra = gate.enter();
    let admitted = false;
    void (extra as Promise<() => void>).then(() => (admitted = true));
    await Promise.resolve();
    expect(admitted).toBe(false);
    held.shift()?.();
    await Promise.resolve();
    await Promise.resolve();
    expect(admitted).toBe(true);
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
    pressed = await buildApp(s.ctx, {
      admission: { maxHeapUsedBytes: 1, maxEventLoopDelayMs: 0, sampleIntervalMs: 10 },
    });
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

  it('gives refused clients return slots whose horizon grows with the backlog', async () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 300; i++) {
      const res = await pressed.inject({
        method: 'POST',
        url: '/api/auth/sign-in',
        payload: { username: 'lea', secret: 'x' },
      });
      const value = String(res.headers['retry-after']);
      counts.set(value, (counts.get(value) ?? 0) + 1);
    }
    // The app was built with the default SERVER_CAPACITY of 100 requests/s: 90 slots per second, so 300 refused
    // clients are given slots reaching 1 + 300 / 90 ≈ 4.3 s ahead on the server's (test) clock, which does not move.
    const horizon = Math.max(...[...counts.keys()].map(Number));
    expect(counts.size).toBeGreaterThanOrEqual(4);
    expect(horizon).toBe(5);
  });

  it('refuses sign-ins beyond their own budget with 503 and advice, and writes keep theirs', async () => {
    const tight = await buildApp(s.ctx, {
      admission: { maxConcurrentSignIns: 1, maxQueuedSignIns: 0, maxEventLoopDelayMs: 0 },
    });
    try {
      const attempt = () =>
        tight.inject({ method: 'POST', url: '/api/auth/sign-in', payload: { username: 'hugo', secret: 'nuage-34' } });
      const submit = () =>
        tight.inject({
          method: 'PUT',
          url: `/api/submissions/${crypto.randomUUID()}`,
          headers: { authorization: `Bearer ${token}` },
          payload: demoHomework('pendant la ruée des connexions'),
        });
      const answers = await Promise.all([attempt(), attempt(), attempt(), submit()]);
      const signIns = answers.slice(0, 3);
      const statuses = signIns.map((r) => r.statusCode).sort((x, y) => x - y);
      expect(statuses[0]).toBe(200);
      expect(statuses.filter((c) => c === 503).length).toBeGreaterThanOrEqual(1);
      expect(signIns.find((r) => r.statusCode === 503)?.headers[SPREAD_HEADER]).toBeDefined();
      expect(answers[3]?.statusCode).toBe(201);
    } finally {
      await tight.close();
    }
  });
});

describe('the budget of secret checks', () => {
  it('refuses sign-ins past it with 503 and advice, before hashing; wrong secrets cost more; writes do not spend it', async () => {
    const s = await startTestServer();
    // Two checks saved up, then one every 1,000 s: nothing refills during the test, however slow the machine.
    const app = await buildApp(s.ctx, { admission: { maxSignInsPerSecond: 0.001, maxEventLoopDelayMs: 0 } });
    try {
      const token = await s.signIn('lea');
      const signIn = (username: string, remoteAddress: string) =>
        app.inject({ method: 'POST', url: '/api/auth/sign-in', remoteAddress, payload: { username, secret: 'faux' } });
      // Two checks saved up; a wrong secret costs four, so after one the budget is in debt.
      expect((await signIn('hugo', '192.0.2.1')).statusCode).toBe(401);
      const refused = await signIn('ines', '192.0.2.3');
      expect(refused.statusCode).toBe(503);
      expect(refused.json()).toMatchObject({ error: 'overloaded' });
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      // Over a socket, the spent budget refuses before Fastify (no header of its hooks), as a full gate does.
      const url = await app.listen({ host: '127.0.0.1', port: 0 });
      const early = await fetch(`${url}/api/auth/sign-in`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'ines', secret: 'faux' }),
      });
      expect(early.status).toBe(503);
      expect(early.headers.get('content-security-policy')).toBeNull();
      // Right secrets cost one each: two pass on a fresh budget, the third waits.
      const fresh = await buildApp(s.ctx, { admission: { maxSignInsPerSecond: 0.001, maxEventLoopDelayMs: 0 } });
      const right = (i: number) =>
        fresh.inject({
          method: 'POST',
          url: '/api/auth/sign-in',
          remoteAddress: `192.0.2.${10 + i}`,
          payload: { username: 'lea', secret: 'soleil-12' },
        });
      expect([(await right(0)).statusCode, (await right(1)).statusCode, (await right(2)).statusCode]).toEqual([
        200, 200, 503,
      ]);
      await fresh.close();
      // A homework submission is not held by the anonymous budget.
      const submitted = await app.inject({
        method: 'PUT',
        url: `/api/submissions/${crypto.randomUUID()}`,
        headers: { authorization: `Bearer ${token}` },
        payload: demoHomework('pendant le flot de connexions'),
      });
      expect(submitted.statusCode).toBe(201);
    } finally {
      await app.close();
      await s.close();
    }
  });
});

describe('refusals during an announced peak', () => {
  it('send refused clients past the window in which devices send the work they held back', async () => {
    // The test server's clock: Wednesday 25 November 2026, 10:00 in Paris.
    const s = await startTestServer();
    const peak = { start: '09:30', end: '10:30', days: [3], admit: 0.5, spreadSeconds: 600 };
    const app = await buildApp(
      { ...s.ctx, offPeak: { ...DEFAULT_WINDOW, sendPeaks: [peak] } },
      { admission: { maxConcurrentSignIns: 1, maxQueuedSignIns: 0, maxEventLoopDelayMs: 0 } },
    );
    try {
      const token = await s.signIn('lea');
      const policy = await app.inject({ url: '/api/sync-policy', headers: { authorization: `Bearer ${token}` } });
      expect(policy.json()).toMatchObject({ sendPeaks: [peak] });
      const attempt = () =>
        app.inject({ method: 'POST', url: '/api/auth/sign-in', payload: { username: 'hugo', secret: 'nuage-34' } });
      const refused = (await Promise.all([attempt(), attempt(), attempt()])).find((r) => r.statusCode === 503);
      // The peak ends at 10:30 and its held-back work is sent until 10:40: 40 minutes from now, at least.
      expect(Number(refused?.headers['retry-after'])).toBeGreaterThanOrEqual(40 * 60);
    } finally {
      await app.close();
      await s.close();
    }
  });
});

/** File storage whose writes wait until `release()`: holds a write slot the way a slow disk would. */
function blockingStorage(inner: FileStorage) {
  let release = () => undefined as void;
  const released = new Promise<void>((r) => (release = r));
  const state = { putting: 0 };
  const storage: FileStorage = {
    put: async (sha256, bytes) => {
      state.putting++;
      await released;
      return inner.put(sha256, bytes);
    },
    read: (sha256) => inner.read(sha256),
  };
  return { storage, release: () => release(), state };
}

const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
const pngSha = createHash('sha256').update(png).digest('hex');

describe('a write whose client leaves once its body was read', () => {
  /** Sends a whole request on a socket of its own, which the test then closes. */
  const rawRequest = (url: string, head: string, body: Buffer | string) => {
    const { port } = new URL(url);
    const socket = connect(Number(port), '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write(`${head}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n`);
    socket.write(body);
    return socket;
  };

  /** A server with one write slot, whose uploads wait for `blocking.release()`, and the demo pupil's token. */
  async function oneSlot() {
    const s = await startTestServer();
    const blocking = blockingStorage(s.ctx.storage);
    const app = await buildApp(
      { ...s.ctx, storage: blocking.storage },
      { admission: { maxConcurrentWrites: 1, maxQueuedWrites: 2, adaptiveWrites: false, maxEventLoopDelayMs: 0 } },
    );
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const token = await s.signIn('lea');
    const submission = (text: string) =>
      fetch(`${url}/api/submissions/${crypto.randomUUID()}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(demoHomework(text)),
        signal: AbortSignal.timeout(5000),
      });
    const close = async () => {
      blocking.release();
      await app.close();
      await s.close();
    };
    return { app, url, token, blocking, submission, close };
  }

  it('gives its slot back when its write ends: the next writes are not stuck (it held the slot)', async () => {
    const t = await oneSlot();
    try {
      // The only slot, held by an upload whose storage does not answer yet; then its client is gone.
      const socket = rawRequest(
        t.url,
        `PUT /api/uploads/${pngSha} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${t.token}\r\ncontent-type: image/png`,
        png,
      );
      await expect.poll(() => t.blocking.state.putting).toBe(1);
      socket.destroy();
      t.blocking.release();
      // Its slot came back: these writes are answered, not left waiting.
      expect((await t.submission('après 1')).status).toBe(201);
      expect((await t.submission('après 2')).status).toBe(201);
    } finally {
      await t.close();
    }
  });

  it('gives its slot back when its turn comes: the next writes are not stuck (it waited for the slot)', async () => {
    const t = await oneSlot();
    try {
      // The slot held by an upload; a whole submission waits behind it, then its client is gone.
      const held = fetch(`${t.url}/api/uploads/${pngSha}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${t.token}`, 'content-type': 'image/png' },
        body: png,
      });
      await expect.poll(() => t.blocking.state.putting).toBe(1);
      const socket = rawRequest(
        t.url,
        `PUT /api/submissions/${crypto.randomUUID()} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${t.token}\r\ncontent-type: application/json`,
        JSON.stringify(demoHomework('partie')),
      );
      // Waiting for the slot: the queue is at its half, readiness says so.
      await expect.poll(() => t.app.inject('/api/ready').then((r) => r.statusCode)).toBe(503);
      socket.destroy();
      t.blocking.release();
      expect((await held).status).toBe(201);
      // The departed request's slot came back: these writes are answered, not left waiting.
      expect((await t.submission('après 1')).status).toBe(201);
      expect((await t.submission('après 2')).status).toBe(201);
    } finally {
      await t.close();
    }
  });
});

describe('refusal before Fastify', () => {
  it('answers a write 503 with its advice straight from Node while the gate is full, and serves health meanwhile', async () => {
    const s = await startTestServer();
    const blocking = blockingStorage(s.ctx.storage);
    const tight = await buildApp(
      { ...s.ctx, storage: blocking.storage },
      { admission: { maxConcurrentWrites: 1, maxQueuedWrites: 0, maxEventLoopDelayMs: 0 } },
    );
    try {
      const url = await tight.listen({ host: '127.0.0.1', port: 0 });
      const token = await s.signIn('lea');
      const auth = { authorization: `Bearer ${token}` };
      // One answer through Fastify first: the recovery period is counted then, and early answers reuse it.
      expect((await fetch(`${url}/api/health`)).status).toBe(200);
      // Hold the only write slot: a whole upload, authenticated and read, whose storage does not answer yet.
      const held = fetch(`${url}/api/uploads/${pngSha}`, {
        method: 'PUT',
        headers: { ...auth, 'content-type': 'image/png' },
        body: png,
      });
      await expect.poll(() => tight.inject('/api/ready').then((r) => r.statusCode)).toBe(503);
      const res = await fetch(`${url}/api/submissions/${crypto.randomUUID()}`, {
        method: 'PUT',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ anything: 'refused before it is read' }),
      });
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ error: 'overloaded' });
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(res.headers.get(SPREAD_HEADER)).not.toBeNull();
      expect(res.headers.get('cartable-recovery-period')).toBe('10');
      // Fastify never saw it: no security headers but the ones the early answer sets itself, which include nosniff.
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect((await fetch(`${url}/api/health`)).status).toBe(200);
      blocking.release();
      expect((await held).status).toBe(201);
      // The slot freed, writes go through Fastify again (this one is refused by validation, not by admission).
      const after = await fetch(`${url}/api/submissions/${crypto.randomUUID()}`, {
        method: 'PUT',
        headers: { ...auth, 'content-type': 'application/json' },
        body: '{}',
      });
      expect(after.status).toBe(400);
      expect((await tight.inject('/api/ready')).statusCode).toBe(200);
    } finally {
      blocking.release();
      await tight.close();
      await s.close();
    }
  });
});

describe('slow anonymous clients', () => {
  it('hold no write slot: a pupil’s submission goes through while 40 sign-ins trickle a byte every 2 s', async () => {
    const s = await startTestServer();
    const app = await buildApp(s.ctx, {
      admission: {
        maxConcurrentWrites: 1,
        maxQueuedWrites: 0,
        maxConcurrentSignIns: 1,
        maxQueuedSignIns: 0,
        maxEventLoopDelayMs: 0,
      },
      guard: { bodyGraceMs: 1500 },
    });
    const sockets: Socket[] = [];
    try {
      const url = await app.listen({ host: '127.0.0.1', port: 0 });
      const { port } = new URL(url);
      const token = await s.signIn('lea');
      const closed: Promise<string>[] = [];
      for (let i = 0; i < 40; i++) {
        const socket = connect(Number(port), '127.0.0.1');
        sockets.push(socket);
        let answer = '';
        socket.on('data', (d: Buffer) => (answer += d.toString()));
        closed.push(new Promise((r) => socket.on('close', () => r(answer))));
        socket.on('error', () => undefined);
        socket.write(
          'POST /api/auth/sign-in HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 60\r\n\r\n{',
        );
      }
      const trickle = setInterval(() => {
        for (const socket of sockets) if (!socket.destroyed) socket.write(' ');
      }, 2000);
      try {
        await new Promise((r) => setTimeout(r, 200));
        const started = performance.now();
        const res = await fetch(`${url}/api/submissions/${crypto.randomUUID()}`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(demoHomework('fait pendant l’attaque')),
        });
        expect(res.status).toBe(201);
        expect(performance.now() - started).toBeLessThan(1000);
        // An honest sign-in is not held either.
        expect(
          (
            await fetch(`${url}/api/auth/sign-in`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ username: 'hugo', secret: 'nuage-34' }),
            })
          ).status,
        ).toBe(200);
        // The trickling bodies are cut once past the grace period, with a 408.
        const answers = await Promise.all(closed);
        expect(answers.every((a) => a.startsWith('HTTP/1.1 408'))).toBe(true);
      } finally {
        clearInterval(trickle);
      }
    } finally {
      for (const socket of sockets) socket.destroy();
      await app.close();
      await s.close();
    }
  });
});

describe('recovery period', () => {
  it('is announced on every API answer, from the pupils served and the capacity', async () => {
    const { recoveryPeriodSeconds } = await import('./recovery-period.ts');
    expect(recoveryPeriodSeconds(10_000, 100)).toBe(125);
    expect(recoveryPeriodSeconds(3, 100)).toBe(10);
    expect(recoveryPeriodSeconds(2003, 100)).toBe(25.1);
    const s = await startTestServer();
    try {
      for (const url of ['/api/health', '/api/me', '/api/nothing']) {
        expect((await s.app.inject(url)).headers['cartable-recovery-period']).toBe('10');
      }
      const big = await buildApp(s.ctx, { capacityPerSecond: 0.01, admission: { maxEventLoopDelayMs: 0 } });
      // 3 demo pupils at 0.01 requests/s: ceil(1.25 × 3 / 0.01) = 375 s.
      expect((await big.inject('/api/health')).headers['cartable-recovery-period']).toBe('375');
      await big.close();
    } finally {
      await s.close();
    }
  });
});

describe('bodies in flight', () => {
  it('reserve their declared length from a budget before a byte is read: memory held by uploads is bounded', async () => {
    const s = await startTestServer();
    // A budget of 3 MB for bodies over 256 KiB: a 2 MB upload fits, a second one at the same time does not.
    const app = await buildApp(s.ctx, { guard: { maxBodyBytesInFlight: 3_000_000 } });
    const sockets: Socket[] = [];
    try {
      const url = await app.listen({ host: '127.0.0.1', port: 0 });
      const token = await s.signIn('lea');
      const { port } = new URL(url);
      const start = (length: number) => {
        const socket = connect(Number(port), '127.0.0.1');
        sockets.push(socket);
        let answer = '';
        socket.on('data', (d: Buffer) => (answer += d.toString()));
        socket.on('error', () => undefined);
        socket.write(
          `PUT /api/uploads/${'b'.repeat(64)} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${token}\r\n` +
            `content-type: image/png\r\ncontent-length: ${length}\r\n\r\n`,
        );
        return () => answer;
      };
      start(2_000_000); // holds 2 MB of the budget while its body is (not) sent
      await new Promise((r) => setTimeout(r, 200));
      const second = start(2_000_000);
      await expect.poll(second).toMatch(/^HTTP\/1.1 503/);
      expect(second()).toContain('retry-after');
      // A small body is not counted against the budget.
      expect((await fetch(`${url}/api/health`)).status).toBe(200);
    } finally {
      for (const socket of sockets) socket.destroy();
      await app.close();
      await s.close();
    }
  });
});

describe('the penalty box', () => {
  it('refuses before Fastify a token that keeps sending malformed bodies, and only that token', async () => {
    const s = await startTestServer();
    const app = await buildApp(s.ctx, { guard: { boxAfter: 5, boxMs: 60_000 } });
    try {
      const url = await app.listen({ host: '127.0.0.1', port: 0 });
      const [hostile, honest] = [await s.signIn('hugo'), await s.signIn('lea')];
      const put = (token: string, body: string) =>
        fetch(`${url}/api/submissions/${crypto.randomUUID()}`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body,
        });
      for (let i = 0; i < 5; i++) expect((await put(hostile, '{ pas du json')).status).toBe(400);
      const boxed = await put(hostile, '{}');
      expect(boxed.status).toBe(429);
      expect(Number(boxed.headers.get('retry-after'))).toBeGreaterThan(50);
      // Answered by the guard: none of the headers Fastify's hooks add.
      expect(boxed.headers.get('content-security-policy')).toBeNull();
      // Another pupil on the same address is not boxed.
      expect((await put(honest, '{}')).status).toBe(400);
    } finally {
      await app.close();
      await s.close();
    }
  });
});

describe('writes paused (MAX_CONCURRENT_WRITES=0)', () => {
  it('refuses every write before Fastify with a return slot, and serves reads', async () => {
    const s = await startTestServer();
    const paused = await buildApp(s.ctx, { admission: { maxConcurrentWrites: 0, maxQueuedWrites: 0 } });
    try {
      const url = await paused.listen({ host: '127.0.0.1', port: 0 });
      const token = await s.signIn('lea');
      const res = await fetch(`${url}/api/submissions/${crypto.randomUUID()}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(demoHomework('pendant la maintenance')),
      });
      expect(res.status).toBe(503);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(res.headers.get('content-security-policy')).toBeNull(); // answered before Fastify
      const me = await fetch(`${url}/api/me`, { headers: { authorization: `Bearer ${token}` } });
      expect(me.status).toBe(200);
    } finally {
      await paused.close();
      await s.close();
    }
  });
});

describe('new connections per address', () => {
  it('are closed on accept past the address’s budget, before a byte of them is parsed', async () => {
    const s = await startTestServer();
    const app = await buildApp(s.ctx, { guard: { newConnectionsPerSecond: 0.001, newConnectionsBurst: 5 } });
    const sockets: Socket[] = [];
    try {
      const url = await app.listen({ host: '127.0.0.1', port: 0 });
      const { port } = new URL(url);
      const outcomes = await Promise.all(
        Array.from(
          { length: 8 },
          () =>
            new Promise<string>((resolve) => {
              const socket = connect(Number(port), '127.0.0.1');
              sockets.push(socket);
              let answer = '';
              socket.on('data', (d: Buffer) => (answer += d.toString()));
              socket.on('error', () => undefined);
              socket.on('close', () => resolve(answer.slice(0, 12) || 'closed'));
              socket.write('GET /api/health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
            }),
        ),
      );
      expect(outcomes.filter((o) => o === 'HTTP/1.1 200').length).toBe(5);
      expect(outcomes.filter((o) => o === 'closed').length).toBe(3);
    } finally {
      for (const socket of sockets) socket.destroy();
      await app.close();
      await s.close();
    }
  });
});
