import { createHash } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { FakeHomeworkServer } from '../test-support/fake-homework-server.ts';
import { backoffCeiling } from './backoff.ts';
import { FakeClock, FakeTransport, MemoryOutboxStore, MemorySyncStateStore, response, SeededRandom } from './fakes.ts';
import { type OutboxDeps, drainOutbox, REJOIN_AFTER_SILENCE_MS, REJOIN_JITTER_CAP_MS } from './outbox.ts';
import type { OutboxItem, StoredFile } from './ports.ts';

const policy = { baseMs: 1000, capMs: 60_000 };
let clock: FakeClock;
let server: FakeHomeworkServer;
let transport: FakeTransport;
let outbox: MemoryOutboxStore;
let syncState: MemorySyncStateStore;
let deps: OutboxDeps;
let authRejected: string[];

beforeEach(() => {
  clock = new FakeClock(Date.parse('2026-11-25T08:00:00Z'));
  // Each request takes one microtask turn, so concurrent sends really overlap.
  server = new FakeHomeworkServer(() => Promise.resolve());
  transport = new FakeTransport(server.handle);
  outbox = new MemoryOutboxStore();
  syncState = new MemorySyncStateStore();
  authRejected = [];
  deps = {
    transport,
    outbox,
    syncState,
    clock,
    random: new SeededRandom(42),
    credentials: async (owner) => (owner === 'lea' ? 'token-lea' : undefined),
    onAuthRejected: (owner) => authRejected.push(owner),
    policy,
    concurrency: 2,
  };
});

let seq = 0;
function item(overrides: Partial<OutboxItem> = {}): OutboxItem {
  seq++;
  return {
    id: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
    owner: 'lea',
    classId: 'cm2-b',
    week: '2026-W48',
    assignmentId: 'exercices-fractions',
    assignmentTitle: 'Exercices',
    text: `réponse ${seq}`,
    files: [],
    submittedAt: '2026-11-24T19:00:00.000Z',
    // Queued just now (work older than a minute with no answer since would rejoin on its phase, tested apart).
    createdAt: clock.now() - 50_000 + (seq % 40_000),
    state: 'pending',
    attempts: 0,
    ...overrides,
  };
}

function photo(content: string): { ref: OutboxItem['files'][number]; stored: StoredFile } {
  const bytes = new TextEncoder().encode(content);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  return {
    ref: { sha256, name: 'cahier.jpg', type: 'image/jpeg', size: bytes.byteLength },
    stored: { sha256, type: 'image/jpeg', bytes },
  };
}

const submissionPuts = () =>
  transport.log.filter((r) => r.method === 'PUT' && r.path.startsWith('/api/submissions/')).length;
const states = async () => (await outbox.list()).map((e) => (e.ok ? e.item.state : 'corrupt'));

describe('drainOutbox', () => {
  it('delivers every item once, files first, and keeps the receipts', async () => {
    const p = photo('page 1');
    await outbox.add(item({ files: [p.ref] }), [p.stored]);
    await outbox.add(item(), []);
    const result = await drainOutbox(deps);
    expect(result).toEqual({ kind: 'drained', sent: 2 });
    expect(await states()).toEqual(['received', 'received']);
    expect(server.submissions.size).toBe(2);
    expect(transport.log.slice(0, 3).map((r) => `${r.method} ${r.path.split('/')[2]}`)).toEqual([
      'HEAD uploads',
      'PUT uploads',
      'PUT submissions',
    ]);
    const first = (await outbox.list())[0];
    expect(first?.ok && first.item.receipt?.payload).toMatch(/^receipt-/);
  });

  it('does not upload a file the server already has (an interrupted upload resumes)', async () => {
    const p = photo('already there');
    server.uploads.add(p.ref.sha256);
    await outbox.add(item({ files: [p.ref] }), [p.stored]);
    await drainOutbox(deps);
    expect(transport.log.filter((r) => r.method === 'PUT' && r.path.startsWith('/api/uploads/'))).toHaveLength(0);
    expect(await states()).toEqual(['received']);
  });

  it('backs off with full jitter within the exponential ceiling, and sends nothing before its time', async () => {
    await outbox.add(item(), []);
    server.mode = 'down';
    for (let failure = 0; failure < 8; failure++) {
      const before = transport.log.length;
      const result = await drainOutbox(deps);
      expect(result.kind).toBe('backing-off');
      const { nextAttemptAt, failures } = await syncState.getBackoff();
      expect(failures).toBe(failure + 1);
      const delay = nextAttemptAt - clock.now();
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(backoffCeiling(failure, policy));
      expect(transport.log.length - before).toBe(1);
      // Early: nothing goes out. (With this seed no draw is 0 ms, so there is always an "early".)
      expect(delay).toBeGreaterThan(0);
      await clock.advance(delay - 1);
      expect(await drainOutbox(deps)).toEqual({ kind: 'waiting', until: nextAttemptAt });
      expect(transport.log.length - before).toBe(1);
      await clock.advance(1);
    }
    expect(await states()).toEqual(['pending']);
  });

  it('never retries sooner than Retry-After on 503 and 429, with jitter added on top', async () => {
    await outbox.add(item(), []);
    for (const status of [503, 429]) {
      server.mode = { status, retryAfter: '120' };
      const result = await drainOutbox(deps);
      if (result.kind !== 'backing-off') throw new Error(`expected a backoff, got ${result.kind}`);
      expect(result.until - clock.now()).toBeGreaterThanOrEqual(120_000);
      expect(result.until - clock.now()).toBeLessThan(120_000 + 60_000);
      await clock.advance(119_999);
      expect((await drainOutbox(deps)).kind).toBe('waiting');
      await clock.advance(result.until - clock.now());
    }
    server.mode = 'up';
    expect((await drainOutbox(deps)).kind).toBe('drained');
  });

  it('during an outage sends one probe per attempt, not the whole queue; then drains with bounded concurrency', async () => {
    for (let i = 0; i < 10; i++) await outbox.add(item(), []);
    server.mode = 'down';
    for (let attempt = 0; attempt < 5; attempt++) {
      const before = transport.log.length;
      await drainOutbox(deps);
      expect(transport.log.length - before).toBe(1);
      await clock.advance((await syncState.getBackoff()).nextAttemptAt - clock.now());
    }
    server.mode = 'up';
    server.maxInFlight = 0;
    expect(await drainOutbox(deps)).toEqual({ kind: 'drained', sent: 10 });
    expect(server.maxInFlight).toBe(2);
    expect(server.submissions.size).toBe(10);
    expect(await syncState.getBackoff()).toMatchObject({ failures: 0, nextAttemptAt: 0 });
  });

  it('stops starting new sends when the server starts failing mid-drain, and backs off', async () => {
    for (let i = 0; i < 6; i++) await outbox.add(item(), []);
    let answered = 0;
    const failingAfter = new FakeTransport(async (req) => {
      if (req.path.startsWith('/api/submissions/') && ++answered > 3) server.mode = { status: 503 };
      return server.handle(req);
    });
    const result = await drainOutbox({ ...deps, transport: failingAfter });
    expect(result.kind).toBe('backing-off');
    expect(server.submissions.size).toBe(3);
    expect((await states()).filter((s) => s === 'pending')).toHaveLength(3);
  });

  it('keeps a refused item, marked with the server’s reason, and still sends the others', async () => {
    const refused = item();
    server.refuse.set(refused.id, { status: 422, error: 'unknown_assignment', message: 'Ce devoir n’existe pas.' });
    await outbox.add(refused, []);
    await outbox.add(item(), []);
    await drainOutbox(deps);
    const kept = await outbox.get(refused.id);
    expect(kept).toMatchObject({
      state: 'refused',
      refusal: { status: 422, error: 'unknown_assignment', message: 'Ce devoir n’existe pas.' },
    });
    expect(await states()).toEqual(['refused', 'received']);
    // A refused item is not sent again.
    const puts = submissionPuts();
    await drainOutbox(deps);
    expect(submissionPuts()).toBe(puts);
  });

  it('marks a conflict (the server kept both versions) without losing the item', async () => {
    const mine = item({ text: 'version du téléphone' });
    server.submissions.set(mine.id, { owner: 'lea', body: 'autre', receipt: 'r' });
    await outbox.add(mine, []);
    await drainOutbox(deps);
    expect(await outbox.get(mine.id)).toMatchObject({ state: 'conflict', text: 'version du téléphone' });
  });

  it('waits for the pupil to sign in again on 401, without backing off the server or refusing the item', async () => {
    await outbox.add(item(), []);
    server.tokens.clear();
    const result = await drainOutbox(deps);
    expect(result).toEqual({ kind: 'drained', sent: 0 });
    expect(authRejected).toEqual(['lea']);
    expect(await states()).toEqual(['pending']);
    expect(await outbox.list().then((l) => l[0]?.ok && l[0].item.lastError)).toBe('auth');
    expect((await syncState.getBackoff()).failures).toBe(0);
  });

  it('sends an item only with its own author’s credentials: another pupil’s items wait', async () => {
    await outbox.add(item({ owner: 'hugo' }), []);
    expect(await drainOutbox(deps)).toEqual({ kind: 'idle' });
    expect(transport.log).toHaveLength(0);
  });

  it('resumes after a crash mid-drain with no duplicate: the answer was lost after the server committed', async () => {
    const a = item();
    const b = item();
    await outbox.add(a, []);
    await outbox.add(b, []);
    server.dropAnswerOnce.add(a.id);
    const first = await drainOutbox(deps);
    expect(first.kind).toBe('backing-off');
    expect(server.submissions.size).toBe(1);
    expect(await states()).toEqual(['pending', 'pending']);
    // The app restarts: new deps over the same stores. An item left in `sending` is sent again too.
    await outbox.update(b.id, (i) => ({ ...i, state: 'sending' }));
    await clock.advance((await syncState.getBackoff()).nextAttemptAt - clock.now());
    const restarted = { ...deps, transport: new FakeTransport(server.handle), random: new SeededRandom(7) };
    expect(await drainOutbox(restarted)).toEqual({ kind: 'drained', sent: 2 });
    expect(server.submissions.size).toBe(2);
    expect(await states()).toEqual(['received', 'received']);
  });

  it('shows a corrupt record as an error and still drains the others', async () => {
    outbox.corrupt.add('broken-record');
    await outbox.add(item(), []);
    expect(await drainOutbox(deps)).toEqual({ kind: 'drained', sent: 1 });
    expect((await outbox.list()).filter((e) => !e.ok)).toEqual([
      { ok: false, id: 'broken-record', reason: 'unreadable record' },
    ]);
  });

  it('never sends an item the pupil withdrew, and refuses to withdraw one already sent', async () => {
    const kept = item();
    const withdrawn = item();
    await outbox.add(kept, []);
    await outbox.add(withdrawn, []);
    expect(await outbox.remove(withdrawn.id, (i) => i.state === 'pending')).toBe(true);
    await drainOutbox(deps);
    expect([...server.submissions.keys()]).toEqual([kept.id]);
    expect(await outbox.remove(kept.id, (i) => i.state === 'pending')).toBe(false);
  });
});

describe('batches', () => {
  const batched = () => ({ ...deps, batch: { maxItems: 25, maxBytes: 200 * 1024 } });
  const batchPosts = () => transport.log.filter((r) => r.path === '/api/submissions/batch').length;

  it('send small items together once the probe succeeded: each received once with its own receipt', async () => {
    const items = Array.from({ length: 60 }, () => item());
    for (const i of items) await outbox.add(i, []);
    expect(await drainOutbox(batched())).toEqual({ kind: 'drained', sent: 60 });
    expect(server.submissions.size).toBe(60);
    // The probe alone, then 59 items in groups of at most 25 (two lanes: 25 + 25, then 9).
    expect([submissionPuts(), batchPosts()]).toEqual([1, 3]);
    const received = (await outbox.list()).flatMap((e) => (e.ok ? [e.item] : []));
    expect(received.every((i) => i.state === 'received' && i.receipt?.payload === `receipt-${i.id}`)).toBe(true);
  });

  it('keep items with files and other owners’ items out of a batch', async () => {
    const p = photo('cahier');
    deps.credentials = async (owner) => `token-${owner}`;
    server.tokens.set('token-hugo', 'hugo');
    await outbox.add(item(), []);
    await outbox.add(item(), []);
    await outbox.add(item({ files: [p.ref] }), [p.stored]);
    await outbox.add(item({ owner: 'hugo' }), []);
    await outbox.add(item(), []);
    await outbox.add(item(), []);
    expect(await drainOutbox({ ...batched(), concurrency: 1 })).toEqual({ kind: 'drained', sent: 6 });
    const bodies = transport.log
      .filter((r) => r.path === '/api/submissions/batch')
      .map((r) => (JSON.parse(new TextDecoder().decode(r.body as Uint8Array)) as { items: unknown[] }).items.length);
    // probe; then [2nd] alone (the photo follows it); photo alone; hugo alone; the last two together.
    expect(bodies).toEqual([2]);
    expect(server.submissions.size).toBe(6);
    expect([...server.submissions.values()].filter((v) => v.owner === 'hugo')).toHaveLength(1);
  });

  it('settle each item by its own answer: refused, conflict and received side by side', async () => {
    const [probe, ok, refused, conflict] = [item(), item(), item(), item()];
    for (const i of [probe, ok, refused, conflict]) await outbox.add(i, []);
    server.refuse.set(refused.id, { status: 422, error: 'unknown_assignment', message: 'x' });
    server.submissions.set(conflict.id, { owner: 'lea', body: 'autre chose', receipt: 'r' });
    expect(await drainOutbox(batched())).toEqual({ kind: 'drained', sent: 4 });
    expect(await states()).toEqual(['received', 'received', 'refused', 'conflict']);
    expect((await outbox.get(refused.id))?.refusal?.error).toBe('unknown_assignment');
  });

  it('put every item of a refused batch back, wait the Retry-After, then deliver each once', async () => {
    for (let i = 0; i < 10; i++) await outbox.add(item(), []);
    let calls = 0;
    transport = new FakeTransport((req) => {
      if (req.path === '/api/submissions/batch' && calls++ === 0)
        return response(503, { error: 'overloaded', message: 'x' }, { 'retry-after': '30' });
      return server.handle(req);
    });
    const first = await drainOutbox({ ...batched(), transport });
    expect(first).toMatchObject({ kind: 'backing-off', sent: 1 });
    expect(await states()).toEqual(['received', ...Array.from({ length: 9 }, () => 'pending')]);
    const until = (await syncState.getBackoff()).nextAttemptAt;
    expect(until - clock.now()).toBeGreaterThanOrEqual(30_000);
    await clock.advance(until - clock.now());
    expect(await drainOutbox({ ...batched(), transport })).toEqual({ kind: 'drained', sent: 9 });
    expect(server.submissions.size).toBe(10);
  });

  it('fall back to one request per item when the server has no batches (404)', async () => {
    server.batches = false;
    for (let i = 0; i < 5; i++) await outbox.add(item(), []);
    expect(await drainOutbox(batched())).toEqual({ kind: 'drained', sent: 5 });
    expect(server.submissions.size).toBe(5);
    expect(await states()).toEqual(Array.from({ length: 5 }, () => 'received'));
  });

  it('store nothing twice when the answer to a batch is lost after the server committed', async () => {
    const items = Array.from({ length: 6 }, () => item());
    for (const i of items) await outbox.add(i, []);
    server.dropAnswerOnce.add(items[1]?.id ?? '');
    expect((await drainOutbox(batched())).kind).toBe('backing-off');
    expect(server.submissions.size).toBe(6);
    await clock.advance((await syncState.getBackoff()).nextAttemptAt - clock.now());
    expect(await drainOutbox(batched())).toEqual({ kind: 'drained', sent: 5 });
    expect(server.submissions.size).toBe(6);
    expect(await states()).toEqual(Array.from({ length: 6 }, () => 'received'));
  });
});

describe('server pacing and local throttling', () => {
  it('never comes back before Retry-After; with a spread and no Retry-After, spreads over the window the server names', async () => {
    const delays = async (headers: Record<string, string>) => {
      const out: number[] = [];
      for (let seed = 1; seed <= 200; seed++) {
        const refusing = new FakeTransport(() => response(503, { error: 'overloaded', message: 'x' }, headers));
        const local = new MemoryOutboxStore();
        await local.add(item(), []);
        const state = new MemorySyncStateStore();
        const result = await drainOutbox({
          ...deps,
          transport: refusing,
          outbox: local,
          syncState: state,
          random: new SeededRandom(seed),
        });
        if (result.kind !== 'backing-off') throw new Error(result.kind);
        out.push(result.until - clock.now());
        expect(await state.getBackoff()).toMatchObject({ lastError: 'overloaded', lastSpreadMs: 600_000 });
      }
      return out;
    };
    const withRetryAfter = await delays({ 'retry-after': '300', 'cartable-retry-spread': '600' });
    expect(Math.min(...withRetryAfter)).toBeGreaterThanOrEqual(300_000);
    expect(Math.max(...withRetryAfter)).toBeLessThan(302_000);
    const spreadOnly = await delays({ 'cartable-retry-spread': '600' });
    expect(Math.max(...spreadOnly)).toBeLessThan(600_000);
    expect(spreadOnly.filter((d) => d > 300_000).length).toBeGreaterThan(60);
  });

  it('refuses locally, without sending, when the server has mostly been refusing', async () => {
    const { AdaptiveThrottle } = await import('./adaptive-throttle.ts');
    const throttle = new AdaptiveThrottle(clock, 2, 3_600_000);
    for (let i = 0; i < 50; i++) throttle.record(false);
    await outbox.add(item(), []);
    let sent = 0;
    let refusedLocally = 0;
    for (let pass = 0; pass < 20; pass++) {
      const before = transport.log.length;
      server.mode = { status: 503 };
      const result = await drainOutbox({ ...deps, throttle, random: new SeededRandom(100 + pass) });
      if (transport.log.length > before) sent++;
      else refusedLocally++;
      expect(result.kind).toBe('backing-off');
      await clock.advance((await syncState.getBackoff()).nextAttemptAt - clock.now());
    }
    expect(refusedLocally).toBeGreaterThan(sent);
    expect((await syncState.getBackoff()).lastError).toMatch(/throttled|unavailable/);
  });
});

describe('rejoining after a silence', () => {
  const PERIOD = 600_000;
  /** One device that last heard from the server two hours ago and queued its work offline half an hour ago. */
  async function cutOffDevice(seed: number, period: number | undefined) {
    const store = new MemoryOutboxStore();
    const state = new MemorySyncStateStore();
    const random = new SeededRandom(seed);
    await state.putBackoff({
      failures: 0,
      nextAttemptAt: 0,
      lastContactAt: clock.now() - 2 * 3600_000,
      phase: random.next(),
      ...(period ? { recoveryPeriodMs: period } : {}),
    });
    await store.add(item({ createdAt: clock.now() - 30 * 60_000 }), []);
    return { ...deps, outbox: store, syncState: state, random };
  }

  it('sends work queued offline at the device’s own phase of the recovery period, whatever woke it', async () => {
    const device = await cutOffDevice(1, PERIOD);
    const phase = (await device.syncState.getBackoff()).phase ?? -1;
    // Woken by the network coming back (or the app opening, a timer…): nothing is sent now.
    const woken = await drainOutbox(device);
    if (woken.kind !== 'waiting') throw new Error(woken.kind);
    expect(transport.log).toHaveLength(0);
    const onGrid = (woken.until - phase * PERIOD) % PERIOD;
    expect(Math.min(onGrid, PERIOD - onGrid)).toBeLessThan(1);
    expect(woken.until - clock.now()).toBeLessThanOrEqual(PERIOD + 1000);
    // Woken again before its time (another trigger): still nothing, and the time does not move.
    expect(await drainOutbox(device)).toEqual({ kind: 'waiting', until: woken.until });
    await clock.advance(woken.until - clock.now());
    expect(await drainOutbox(device)).toEqual({ kind: 'drained', sent: 1 });
    expect(server.submissions.size).toBe(1);
  });

  it('spreads a thousand devices woken at the same instant evenly over one period', async () => {
    const untils: number[] = [];
    for (let d = 0; d < 1000; d++) {
      const result = await drainOutbox(await cutOffDevice(100 + d, PERIOD));
      if (result.kind !== 'waiting') throw new Error(result.kind);
      untils.push(result.until - clock.now());
    }
    expect(transport.log).toHaveLength(0);
    const bins = Array.from({ length: 10 }, (_, b) => untils.filter((u) => Math.floor(u / (PERIOD / 10)) === b).length);
    // 100 per tenth of the period on average; the busiest tenth holds at most 1.3 × that (seeded, so exact).
    expect(Math.max(...bins)).toBeLessThanOrEqual(130);
    expect(Math.max(...untils)).toBeLessThanOrEqual(PERIOD + 1000);
  });

  it('without a learnt period, waits a random time below the cap', async () => {
    const untils: number[] = [];
    for (let d = 0; d < 500; d++) {
      const result = await drainOutbox(await cutOffDevice(3000 + d, undefined));
      if (result.kind !== 'waiting') throw new Error(result.kind);
      untils.push(result.until - clock.now());
    }
    expect(Math.min(...untils)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...untils)).toBeLessThan(REJOIN_JITTER_CAP_MS);
    const mean = untils.reduce((a, b) => a + b, 0) / untils.length;
    expect(mean / REJOIN_JITTER_CAP_MS).toBeGreaterThan(0.4);
    expect(mean / REJOIN_JITTER_CAP_MS).toBeLessThan(0.6);
  });

  it('sends at once work queued while the server answers, and work the server’s own pacing already delayed', async () => {
    // Heard from the server ten seconds ago: at once.
    await syncState.putBackoff({ failures: 0, nextAttemptAt: 0, lastContactAt: clock.now() - 10_000, phase: 0.5 });
    await outbox.add(item({ createdAt: clock.now() - 5 * 60_000 }), []);
    expect(await drainOutbox(deps)).toEqual({ kind: 'drained', sent: 1 });
    // Queued just now, whatever the last contact: at once.
    await syncState.putBackoff({ failures: 0, nextAttemptAt: 0, lastContactAt: clock.now() - 3600_000, phase: 0.5 });
    await outbox.add(item({ createdAt: clock.now() - REJOIN_AFTER_SILENCE_MS / 2 }), []);
    expect(await drainOutbox(deps)).toEqual({ kind: 'drained', sent: 1 });
    // The server went down while the device was trying: its grid paces the return, not a second wait on top.
    await outbox.add(item(), []);
    server.mode = 'down';
    const failed = await drainOutbox(deps);
    if (failed.kind !== 'backing-off') throw new Error(failed.kind);
    await clock.advance(failed.until - clock.now() + 20 * 60_000);
    server.mode = 'up';
    expect(await drainOutbox(deps)).toEqual({ kind: 'drained', sent: 1 });
  });
});

describe('recovery period', () => {
  it('learns the server’s recovery period from its answers, and when the server is unreachable retries on its own phase of it', async () => {
    const withPeriod = new FakeTransport(async (req) => {
      const res = await server.handle(req);
      return { ...res, headers: { ...res.headers, 'cartable-recovery-period': '120' } };
    });
    await outbox.add(item(), []);
    await drainOutbox({ ...deps, transport: withPeriod });
    const learnt = await syncState.getBackoff();
    expect(learnt.recoveryPeriodMs).toBe(120_000);
    const phase = learnt.phase ?? -1;
    expect(phase).toBeGreaterThanOrEqual(0);
    expect(phase).toBeLessThan(1);

    // The server goes down: every next attempt falls on phase × 120 s + k × 120 s.
    await outbox.add(item(), []);
    server.mode = 'down';
    for (let i = 0; i < 5; i++) {
      const result = await drainOutbox(deps);
      if (result.kind !== 'backing-off') throw new Error(result.kind);
      const onGrid = (result.until - phase * 120_000) % 120_000;
      expect(Math.min(onGrid, 120_000 - onGrid)).toBeLessThan(1);
      expect(result.until - clock.now()).toBeLessThanOrEqual(121_000);
      expect((await syncState.getBackoff()).phase).toBe(phase);
      await clock.advance(result.until - clock.now());
    }
  });

  it('sends a teacher’s publication like homework: lesson files first, then the week, once, under its own id', async () => {
    const { ref, stored } = photo('schéma du cycle');
    const publication = {
      lessons: [
        {
          id: 'cycle',
          title: 'Le cycle',
          order: 1,
          body: '![](cycle.png)',
          attachments: [{ sha256: ref.sha256, name: 'cycle.png' }],
        },
      ],
      assignments: [],
    };
    const put: string[] = [];
    deps.transport = new FakeTransport((req) => {
      if (req.method === 'HEAD') return response(404);
      put.push(req.path);
      if (req.path.includes('/publications/')) return response(201, { version: 3 });
      return response(201, { sha256: ref.sha256, size: ref.size, stored: true });
    });
    const pub = item({ owner: 'lea', assignmentId: 'publication', publication, files: [ref] });
    await outbox.add(pub, [stored]);
    expect(await drainOutbox(deps)).toEqual({ kind: 'drained', sent: 1 });
    expect(put).toEqual([
      `/api/lesson-files/${ref.sha256}`,
      `/api/classes/cm2-b/weeks/2026-W48/publications/${pub.id}`,
    ]);
    expect(await outbox.get(pub.id)).toMatchObject({ state: 'received', published: { version: 3 } });
  });

  describe('a publication the week has moved past (409 stale_base)', () => {
    const lesson = (id: string, body: string, order = 1) => ({ id, title: id, order, body, attachments: [] });
    const base = { lessons: [lesson('a', 'a')], assignments: [] };
    const manifest = (version: number, lessons: ReturnType<typeof lesson>[]) => ({
      format: 1,
      classId: 'cm2-b',
      className: 'CM2 B',
      week: '2026-W48',
      version,
      publishedAt: '2026-11-24T18:00:00.000Z',
      lessons,
      assignments: [],
    });
    /** A server at version 2, made on another device from version 1 (`theirs`), taking only base 2. */
    const serverAt2 = (theirs: ReturnType<typeof lesson>[], bodies: unknown[]) =>
      new FakeTransport((req) => {
        if (req.method === 'GET') return response(200, manifest(2, theirs));
        const body = JSON.parse(new TextDecoder().decode(req.body as Uint8Array)) as { baseVersion?: number };
        bodies.push(body);
        if (body.baseVersion !== 2) return response(409, { error: 'stale_base', message: 'm', currentVersion: 2 });
        return response(201, { version: 3 });
      });

    it('merges with the newest version and publishes both sides when no item changed on both', async () => {
      const bodies: unknown[] = [];
      deps.transport = serverAt2([lesson('a', 'a'), lesson('histoire', 'h', 2)], bodies);
      const mine = { lessons: [lesson('a', 'a corrigé')], assignments: [], baseVersion: 1 };
      const pub = item({ assignmentId: 'publication', publication: mine, publicationBase: base });
      await outbox.add(pub, []);
      await drainOutbox(deps);
      expect(bodies).toHaveLength(2);
      expect(bodies[1]).toMatchObject({
        baseVersion: 2,
        lessons: [
          { id: 'a', body: 'a corrigé', order: 1 },
          { id: 'histoire', body: 'h', order: 2 },
        ],
      });
      expect(await outbox.get(pub.id)).toMatchObject({ state: 'received', published: { version: 3 } });
    });

    it('stays a conflict, nothing sent over the newest version, when both sides changed one item', async () => {
      const bodies: unknown[] = [];
      deps.transport = serverAt2([lesson('a', 'leur a')], bodies);
      const mine = { lessons: [lesson('a', 'mon a')], assignments: [], baseVersion: 1 };
      const pub = item({ assignmentId: 'publication', publication: mine, publicationBase: base });
      await outbox.add(pub, []);
      await drainOutbox(deps);
      expect(bodies).toHaveLength(1);
      expect(await outbox.get(pub.id)).toMatchObject({
        state: 'conflict',
        publication: mine,
        refusal: { status: 409, error: 'stale_base', currentVersion: 2 },
      });
    });
  });
});
