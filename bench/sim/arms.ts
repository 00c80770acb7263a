/**
 * The client strategies the herd simulation compares. Cartable's arm and the full-jitter arm run the real sync core
 * (OutboxRunner, drainOutbox, backoff, throttle) against the simulated server; the others are modelled from their
 * documented behaviour.
 */
import { recoveryPeriodSeconds } from '../../src/server/recovery-period.ts';
import { AdaptiveThrottle } from '../../src/sync/adaptive-throttle.ts';
import { MemoryOutboxStore, MemorySyncStateStore, SeededRandom } from '../../src/sync/fakes.ts';
import { InProcessLock } from '../../src/sync/in-process-lock.ts';
import { firstSendAt, type SendPeak } from '../../src/protocol/send-peaks.ts';
import { OutboxRunner } from '../../src/sync/outbox-runner.ts';
import { type TransportRequest, TransportError } from '../../src/sync/ports.ts';
import type { ServerModel } from './server-model.ts';
import type { SimClock } from './sim-clock.ts';

export interface World {
  clock: SimClock;
  server: ServerModel;
  /** Devices in the scenario, for the recovery period they learnt before. */
  devices: number;
  /** The capacity the server announced the recovery period with, the day before (Cartable's arm). */
  learntCapacity: number;
  /** Set by an arm when it stops trying an item for good (given up, or a 5xx taken as delivered). */
  abandoned: Set<string>;
  /** When the devices' network comes back (the Background Sync "reconnect"), if the scenario has one. */
  reconnectAt?: number;
  /** Until then the devices know they are offline (navigator.onLine false), and at that time they fire `online`. */
  networkDownUntil?: number;
  /** The server's peak hours as its sync policy announced them the night before (Cartable's arm only), in UTC. */
  sendPeaks?: SendPeak[];
}

export type Arm = (world: World, device: number, item: string, createdAt: number) => Promise<void>;

const item0 = (item: string, createdAt: number) => ({
  id: item,
  owner: 'pupil',
  classId: 'c',
  week: '2026-W48',
  assignmentId: 'a',
  assignmentTitle: 'A',
  text: 'réponse',
  files: [],
  submittedAt: new Date(createdAt).toISOString(),
  createdAt,
  state: 'pending' as const,
  attempts: 0,
});

/** The real sync core; `pacing` false strips the server's advice and the throttle (arm d). */
function syncCore(pacing: boolean): Arm {
  return async (world, device, item, createdAt) => {
    const { clock, server } = world;
    await clock.sleep(createdAt - clock.now());
    const outbox = new MemoryOutboxStore();
    const syncState = new MemorySyncStateStore();
    const random = new SeededRandom(1000 + device);
    // As the app queues it: held back when created in an announced peak (src/sync/send-peaks.ts).
    const notBefore = firstSendAt(createdAt, pacing ? world.sendPeaks : undefined, 'UTC', () => random.next());
    await outbox.add({ ...item0(item, createdAt), ...(notBefore > createdAt ? { notBefore } : {}) }, []);
    if (pacing) {
      // Learnt from the answers of the days before: the server's recovery period, and this device's phase in it.
      await syncState.putBackoff({
        failures: 0,
        nextAttemptAt: 0,
        recoveryPeriodMs: recoveryPeriodSeconds(world.devices, world.learntCapacity) * 1000,
        phase: random.next(),
        // The last answer, the evening before.
        lastContactAt: -12 * 3600_000,
      });
    }
    const base = server.transport();
    const transport = pacing
      ? base
      : {
          send: async (req: TransportRequest) => {
            const res = await base.send(req);
            const { 'retry-after': _r, 'cartable-retry-spread': _s, ...headers } = res.headers;
            return { ...res, headers };
          },
        };
    const runner = new OutboxRunner({
      transport,
      outbox,
      syncState,
      clock,
      random,
      credentials: async () => 'token',
      lock: new InProcessLock(),
      isOnline: () => world.networkDownUntil === undefined || clock.now() >= world.networkDownUntil,
      concurrency: 2,
      ...(pacing ? { throttle: new AdaptiveThrottle(clock) } : {}),
    });
    // Held-back work and backoffs are picked up by the runner's own wake-ups (on the simulated clock).
    await runner.kick();
    // The network returns: every device's `online` event at the same instant, a kick as in the app.
    if (world.networkDownUntil !== undefined) {
      await clock.sleep(Math.max(0, world.networkDownUntil - clock.now()));
      await runner.kick();
    }
  };
}

export const cartable = syncCore(true);
export const fullJitterNoPacing = syncCore(false);

/** (b) retry every 5 s until it works. */
export const fixedFiveSeconds: Arm = async ({ clock, server }, _device, item, createdAt) => {
  await clock.sleep(createdAt - clock.now());
  for (;;) {
    const ok = await server.submit(item).then(
      (r) => r.status < 300,
      () => false,
    );
    if (ok) return;
    await clock.sleep(5000);
  }
};

/** (c) p-retry's defaults: 10 retries, factor 2 from 1 s, no randomisation; then it gives up. */
export const pRetryDefaults: Arm = async ({ clock, server, abandoned }, _device, item, createdAt) => {
  await clock.sleep(createdAt - clock.now());
  for (let attempt = 0; attempt <= 10; attempt++) {
    const ok = await server.submit(item).then(
      (r) => r.status < 300,
      () => false,
    );
    if (ok) return;
    if (attempt < 10) await clock.sleep(1000 * 2 ** attempt);
  }
  abandoned.add(item);
};

/**
 * p-retry with `randomize: true`: the same 10 retries, factor 2 from 1 s, each delay multiplied by a random factor in
 * [1, 2); then it gives up.
 */
export const pRetryRandomize: Arm = async ({ clock, server, abandoned }, device, item, createdAt) => {
  await clock.sleep(createdAt - clock.now());
  const random = new SeededRandom(7000 + device);
  for (let attempt = 0; attempt <= 10; attempt++) {
    const ok = await server.submit(item).then(
      (r) => r.status < 300,
      () => false,
    );
    if (ok) return;
    if (attempt < 10) await clock.sleep(1000 * 2 ** attempt * (1 + random.next()));
  }
  abandoned.add(item);
};

/** Exponential backoff with full jitter (AWS's): a delay drawn in [0, min(cap, 2 s × 2^n)), retried until it works. */
export function fullJitter(capMs: number): Arm {
  return async ({ clock, server }, device, item, createdAt) => {
    await clock.sleep(createdAt - clock.now());
    const random = new SeededRandom(9000 + device);
    for (let attempt = 0; ; attempt++) {
      const ok = await server.submit(item).then(
        (r) => r.status < 300,
        () => false,
      );
      if (ok) return;
      await clock.sleep(Math.floor(random.next() * Math.min(capMs, 2000 * 2 ** attempt)));
    }
  };
}

/**
 * A client that honours Retry-After with jitter: after a 503 it waits the time asked, plus up to half of it again at
 * random; when the server cannot be reached (no answer to honour) it backs off with full jitter capped at 5 minutes.
 */
export const retryAfterJitter: Arm = async ({ clock, server }, device, item, createdAt) => {
  await clock.sleep(createdAt - clock.now());
  const random = new SeededRandom(11_000 + device);
  for (let failures = 0; ; ) {
    const res = await server.submit(item).catch(() => undefined);
    if (res && res.status < 300) return;
    const asked = Number(res?.headers['retry-after']);
    if (res && Number.isFinite(asked) && asked > 0) {
      await clock.sleep(asked * 1000 * (1 + 0.5 * random.next()));
    } else {
      await clock.sleep(Math.floor(random.next() * Math.min(5 * 60_000, 2000 * 2 ** failures)));
      failures++;
    }
  }
};

/**
 * (a) Workbox background sync on Chromium: the request is queued; the browser's sync event replays the queue, and
 * retries it 5 and 15 minutes after a failed replay, then stops until the next trigger; a 5xx answer counts as
 * delivered and the request is dropped. The devices' network coming back fires the sync at once on every device.
 */
export const workboxBackgroundSync: Arm = async (world, device, item, createdAt) => {
  const { clock, server, abandoned } = world;
  await clock.sleep(createdAt - clock.now());
  const random = new SeededRandom(5000 + device);
  /** One replay; true when the request left the queue (2xx, or a 5xx taken as delivered). */
  const replay = async () => {
    try {
      const res = await server.submit(item);
      if (res.status >= 500) abandoned.add(item);
      return true;
    } catch (err) {
      if (err instanceof TransportError) return false;
      throw err;
    }
  };
  const withRetries = async () => {
    if (await replay()) return true;
    await clock.sleep(5 * 60_000);
    if (await replay()) return true;
    await clock.sleep(15 * 60_000);
    return replay();
  };
  if (await withRetries()) return;
  if (world.reconnectAt === undefined) {
    abandoned.add(item);
    return;
  }
  await clock.sleep(Math.max(0, world.reconnectAt - clock.now()) + Math.floor(random.next() * 1000));
  if (!(await withRetries())) abandoned.add(item);
};

export const ARMS: Record<string, Arm> = {
  cartable,
  'workbox-background-sync': workboxBackgroundSync,
  'fixed-5s': fixedFiveSeconds,
  'p-retry-defaults': pRetryDefaults,
  'p-retry-randomize': pRetryRandomize,
  'full-jitter-2min': fullJitter(2 * 60_000),
  'full-jitter-5min': fullJitter(5 * 60_000),
  'full-jitter-no-pacing': fullJitterNoPacing,
  'retry-after-jitter': retryAfterJitter,
};
