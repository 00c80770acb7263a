/**
 * Admission control: when the server has more work than it can do, it refuses the expensive part early (503) and
 * keeps serving the cheap part (health, readiness, immutable files, manifest revalidations, the app shell).
 *
 * Every refusal carries advice: Retry-After is the client's own return slot in a virtual waiting room (RetrySlots),
 * and `cartable-retry-spread` the horizon of the slots given, so the clients it sends away come back at a rate it can
 * take instead of all in the same second (which a constant Retry-After does).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { ConnectionGuard, isSignIn } from './connection-guard.ts';
import { TokenBucket } from './token-bucket.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import underPressure from '@fastify/under-pressure';
import { type CapacityReading, CapacityMeter } from './capacity-meter.ts';
import { AdaptiveLimit } from './concurrency-limit.ts';

export interface AdmissionOptions {
  /**
   * Authenticated writes (uploads, submissions, publications) running at once. 0 pauses writes (maintenance): every
   * one is refused 503 with a return slot before Fastify, reads are served, devices keep their work and come back.
   */
  maxConcurrentWrites: number;
  /** Authenticated writes waiting for a slot; beyond that they are refused. */
  maxQueuedWrites: number;
  /** Anonymous work (sign-in, token refresh: a slow hash each) running at once: its own budget, apart from writes. */
  maxConcurrentSignIns: number;
  /** Sign-ins waiting for a slot; beyond that they are refused. */
  maxQueuedSignIns: number;
  /**
   * Secret checks (a 43 ms scrypt each, measured) per second and instance; beyond, sign-ins are refused 503 with a
   * return slot. Bounds the CPU anonymous clients can take to about 0.4 core at the default; 0 turns it off.
   */
  maxSignInsPerSecond: number;
  /** Event-loop delay (ms) above which expensive requests are refused; 0 turns the check off. */
  maxEventLoopDelayMs: number;
  /** Heap used (bytes) above which expensive requests are refused; 0 turns the check off. */
  maxHeapUsedBytes: number;
  /** How often the event loop and heap are sampled. */
  sampleIntervalMs?: number;
  /** Writes/s the server takes until it has measured itself (SERVER_CAPACITY): see capacity-meter.ts. */
  capacityPerSecond?: number;
  /** Never announce more writes/s than this (SERVER_CAPACITY_CEILING); none when unset. */
  capacityCeiling?: number;
  /** Learn the number of write slots from the throughput and latency of writes, up to maxConcurrentWrites (default on). */
  adaptiveWrites?: boolean;
  /** How often the server samples itself for the capacity meter, ms; 0 keeps the configured figure (tests). */
  capacitySampleMs?: number;
  /** During an announced peak, when the held-back work has been sent (epoch ms); 0 outside peaks. */
  heldBackUntil?: () => number;
}

export const DEFAULT_ADMISSION: AdmissionOptions = {
  maxConcurrentWrites: 32,
  maxQueuedWrites: 512,
  maxConcurrentSignIns: 8,
  maxQueuedSignIns: 256,
  maxSignInsPerSecond: 10,
  maxEventLoopDelayMs: 1000,
  maxHeapUsedBytes: 0,
};

import { RETRY_SPREAD_HEADER } from '../protocol/paths.ts';
/**
 * The adaptive limit never goes below this many write slots, and measures the no-load latency at it: the group commit
 * needs concurrent writes to batch (at 8, the limit settled at 22 slots and 0.95 of the fixed 32's throughput).
 */
const MIN_WRITE_SLOTS = 16;
const MIN_SPREAD_S = 5;
const MAX_SPREAD_S = 30 * 60;

/** What a gate did since it was last asked: for the capacity meter's one-second samples. */
export interface GateStats {
  completed: number;
  /** Time some request waited for a slot, ms (on the monotonic clock). */
  queuedMs: number;
}

/**
 * A counting semaphore with a bounded queue, which also counts what it completes and how long requests waited. With a
 * limiter, the number of slots is the limiter's (never above `maxConcurrent`), fed with each request's time in its
 * slot: the server learns how many writes it can run at once (concurrency-limit.ts).
 */
export class WriteGate {
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];
  private completedSinceStats = 0;
  private queuedMs = 0;
  private queueSince: number | undefined;
  constructor(
    private readonly maxConcurrent: number,
    private readonly maxQueued: number,
    private readonly limiter?: AdaptiveLimit,
    /** A monotonic clock for durations (the slot times the limiter learns from). */
    private readonly monotonic: () => number = () => performance.now(),
  ) {}

  /** Slots now: the limiter's, within the configured maximum. */
  limit(): number {
    return this.limiter ? Math.min(this.maxConcurrent, this.limiter.limit) : this.maxConcurrent;
  }

  /** True when a new expensive request would be refused now (every slot busy, the queue full). */
  full(): boolean {
    return this.inFlight >= this.limit() && this.waiting.length >= this.maxQueued;
  }

  /** True when every slot is busy and the queue at least half full: a load balancer should send work elsewhere. */
  saturated(): boolean {
    return this.inFlight >= this.limit() && this.waiting.length >= this.maxQueued / 2;
  }

  /** A release function once a slot is free, or 'shed' at once when the queue is full. */
  enter(): Promise<() => void> | 'shed' {
    if (this.inFlight < this.limit() && this.waiting.length === 0) {
      this.inFlight++;
      return Promise.resolve(this.releaser());
    }
    if (this.waiting.length >= this.maxQueued) return 'shed';
    if (this.waiting.length === 0) this.queueSince = this.monotonic();
    return new Promise((resolve) => this.waiting.push(() => resolve(this.releaser())));
  }

  private releaser(): () => void {
    let released = false;
    const started = this.monotonic();
    const inFlightAtStart = this.inFlight;
    return () => {
      if (released) return;
      released = true;
      this.completedSinceStats++;
      this.limiter?.sample(this.monotonic() - started, inFlightAtStart);
      this.inFlight--;
      this.pump();
    };
  }

  /** Hands free slots to the requests waiting, in order (the limit may have grown or shrunk meanwhile). */
  private pump(): void {
    while (this.waiting.length > 0 && this.inFlight < this.limit()) {
      this.inFlight++;
      this.waiting.shift()?.();
    }
    if (this.waiting.length === 0 && this.queueSince !== undefined) {
      this.queuedMs += this.monotonic() - this.queueSince;
      this.queueSince = undefined;
    }
  }

  /** What the gate did since the last call (completions, time with a queue), and starts counting again. */
  takeStats(): GateStats {
    const at = this.monotonic();
    const queuedMs = this.queuedMs + (this.queueSince === undefined ? 0 : at - this.queueSince);
    if (this.queueSince !== undefined) this.queueSince = at;
    const stats = { completed: this.completedSinceStats, queuedMs };
    this.completedSinceStats = 0;
    this.queuedMs = 0;
    return stats;
  }

  /** Requests running or waiting. */
  backlog(): number {
    return this.inFlight + this.waiting.length;
  }
}

/**
 * A virtual waiting room: each refused client gets its own return slot, after those already given, at `share` of
 * capacity per second (the rest is left for new work). Retry-After is the time to that slot, so values differ from
 * client to client and grow with the backlog; the spread is the horizon of the slots given so far. Refused clients
 * then return at a rate the server can take, instead of all together (constant Retry-After) or in a random heap.
 */
export class RetrySlots {
  private last = 0;
  constructor(
    /** The server's clock (epoch ms): the same one `notBefore` is computed on. */
    private readonly now: () => number,
    private readonly share = 0.9,
  ) {}

  /**
   * The next slot for a client refused now, at `capacityPerSecond`, and never before `notBefore` (epoch ms): during an
   * announced peak, the end of the window in which devices send the work they held back, which has the server's
   * capacity already.
   */
  assign(capacityPerSecond: number, notBefore = 0): { retryAfterSeconds: number; spreadSeconds: number } {
    const now = this.now();
    const step = 1000 / Math.max(0.001, capacityPerSecond * this.share);
    this.last = Math.max(this.last, now + 1000, notBefore) + step;
    const retryAfterSeconds = Math.ceil((this.last - now) / 1000);
    return { retryAfterSeconds, spreadSeconds: Math.min(MAX_SPREAD_S, Math.max(MIN_SPREAD_S, retryAfterSeconds)) };
  }
}

/** Requests the server keeps serving under pressure: they cost little and keep devices working. */
export function isCheap(request: FastifyRequest): boolean {
  if (request.method !== 'GET' && request.method !== 'HEAD') return false;
  const path = request.url.split('?')[0] ?? '';
  if (!path.startsWith('/api/')) return true; // the app shell and its assets
  if (/^\/api\/(health|ready|keys)$/.test(path) || path.startsWith('/api/files/')) return true;
  return /^\/api\/classes\/[^/]+\/weeks\/[^/]+$/.test(path) && request.headers['if-none-match'] !== undefined;
}

/** Which budget an expensive request draws on. */
export type GateName = 'signIn' | 'writes';

/**
 * The one classification of expensive requests, used by the refusal before Fastify and by the gate inside it:
 * anonymous work (sign-in, refresh) and authenticated writes (homework files, submissions, lesson files,
 * publications) each have their own budget, so a flood of one cannot starve the other.
 */
export function gateOf(method: string | undefined, url: string | undefined): GateName | undefined {
  if (method !== 'PUT' && method !== 'POST') return undefined;
  const path = url ?? '';
  if (isSignIn(method, path) || path === '/api/auth/refresh' || path.startsWith('/api/auth/refresh?')) return 'signIn';
  if (/^\/api\/(uploads|submissions|lesson-files|feedback)\//.test(path)) return 'writes';
  if (/^\/api\/classes\/[^/]+\/weeks\/[^/]+\/publications\//.test(path)) return 'writes';
  return undefined;
}

/** The route pattern of a write, as Fastify names it in the access log. */
function routePattern(url: string): string {
  if (url.startsWith('/api/submissions/batch')) return '/api/submissions/batch';
  if (url.startsWith('/api/submissions/')) return '/api/submissions/:id';
  if (url.startsWith('/api/uploads/')) return '/api/uploads/:sha256';
  if (url.startsWith('/api/lesson-files/')) return '/api/lesson-files/:sha256';
  if (/^\/api\/feedback\/[^/]+\/seen/.test(url)) return '/api/feedback/:id/seen';
  if (url.startsWith('/api/feedback/')) return '/api/feedback/:id';
  if (url.startsWith('/api/auth/refresh')) return '/api/auth/refresh';
  if (url.startsWith('/api/auth/')) return '/api/auth/sign-in';
  return '/api/classes/:classId/weeks/:week/publications/:publishId';
}

export const OVERLOADED = {
  error: 'overloaded',
  message: 'Serveur très chargé : ton travail est gardé et repartira automatiquement.',
};
const OVERLOADED_JSON = JSON.stringify(OVERLOADED);

/**
 * The budget of secret checks: the sign-in route asks before each slow hash, and says when the secret was wrong. A
 * wrong secret costs WRONG_SECRET_COST checks in all, so a flood of guesses gets a quarter of the checks honest
 * sign-ins (which mostly succeed) would: about 0.1 core at the default, instead of 0.4.
 */
export interface SecretChecks {
  /** True when a secret may be checked now; otherwise sets the reply's 503 and its advice. */
  mayCheck(reply: FastifyReply): boolean;
  /** The secret just checked was wrong. */
  wrong(): void;
  /** True while no secret may be checked: sign-ins are then refused before Fastify, as a full gate's writes are. */
  spent(): boolean;
}
const WRONG_SECRET_COST = 4;

/** This instance's measured capacity and its write slots, for the advice, readiness and the access log. */
export interface CapacityView {
  reading(): CapacityReading & { concurrencyLimit: number };
  /** The meter itself: its saturated figure is kept across restarts (capacity-share.ts). */
  meter: CapacityMeter;
  /** Takes one sample now (the timer does it every capacitySampleMs). */
  sample(): void;
}

/** The gates and the advice they give, for the early refusal before Fastify and for readiness. */
export interface Admission {
  capacity: CapacityView;
  gates: Record<GateName, WriteGate>;
  /** The budget of secret checks (sign-in): see SecretChecks. */
  secretChecks: SecretChecks;
  advise(): { retryAfterSeconds: number; spreadSeconds: number };
  /** True when the writes' gate is saturated: /api/ready answers 503. */
  saturated(): boolean;
}

/**
 * The cheapest refusal: a write that arrives while the gate is full is answered 503 with its advice straight from
 * Node's HTTP server, before Fastify parses, routes or runs a hook (its body is discarded unread). Refusals are what
 * a server in a rush spends its time on; bench:refusal-cost measures them against a stored submission.
 */
export function shedBeforeFastify(
  admission: Admission,
  extraHeaders: () => Record<string, string>,
  log?: (line: { arrivalMs: number; method: string; status: number; durationMs: number; route: string }) => void,
  /** Stops reading a socket whose body is left unread (connection-guard.ts). */
  linger?: (socket: Socket) => void,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    const gate = gateOf(req.method, req.url);
    if (gate === undefined) return false;
    // The gate's own test, and for a sign-in the route's budget test (the same functions the routes call).
    const refused =
      admission.gates[gate].full() ||
      (gate === 'signIn' && isSignIn(req.method, req.url) && admission.secretChecks.spent());
    if (!refused) return false;
    const started = performance.now();
    const advice = admission.advise();
    res.writeHead(503, {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      'retry-after': String(advice.retryAfterSeconds),
      [RETRY_SPREAD_HEADER]: String(advice.spreadSeconds),
      'x-content-type-options': 'nosniff',
      // A large body is never read: the connection cannot carry another request (connection-guard.ts closes it).
      ...(ConnectionGuard.mustClose(req) ? { connection: 'close' } : {}),
      ...extraHeaders(),
    });
    res.end(OVERLOADED_JSON);
    if (ConnectionGuard.mustClose(req)) res.once('finish', () => linger?.(req.socket));
    log?.({
      arrivalMs: Date.now(),
      method: req.method ?? '',
      status: 503,
      durationMs: performance.now() - started,
      route: routePattern(req.url ?? ''),
    });
    return true;
  };
}

/**
 * Installs the gate and the pressure checks; adds GET /api/ready for load balancers. `now` is the server's one clock
 * (AppContext.now): the return slots and the held-back window of an announced peak must be read on the same clock,
 * or the advice depends on the calendar date the tests run on.
 */
export async function installAdmission(
  app: FastifyInstance,
  options: AdmissionOptions,
  now: () => number,
  /** Told of every answer once sent (the connection guard: lingering, the penalty box), from the hook that runs anyway. */
  answered?: (req: IncomingMessage, status: number) => void,
): Promise<Admission> {
  const limiter =
    (options.adaptiveWrites ?? true) && options.maxConcurrentWrites > 0
      ? new AdaptiveLimit(
          {
            initial: options.maxConcurrentWrites,
            min: Math.min(options.maxConcurrentWrites, MIN_WRITE_SLOTS),
            max: options.maxConcurrentWrites,
          },
          () => performance.now(),
        )
      : undefined;
  const gates: Record<GateName, WriteGate> = {
    writes: new WriteGate(options.maxConcurrentWrites, options.maxQueuedWrites, limiter),
    signIn: new WriteGate(options.maxConcurrentSignIns, options.maxQueuedSignIns),
  };
  const meter = new CapacityMeter(options.capacityPerSecond ?? 100, options.capacityCeiling);
  let loop = performance.eventLoopUtilization();
  let sampledAt = performance.now();
  const capacityView: CapacityView = {
    meter,
    reading: () => ({ ...meter.reading(now()), concurrencyLimit: gates.writes.limit() }),
    sample: () => {
      const at = performance.now();
      const used = performance.eventLoopUtilization(loop);
      loop = performance.eventLoopUtilization();
      const intervalMs = at - sampledAt;
      sampledAt = at;
      const { completed, queuedMs } = gates.writes.takeStats();
      // Saturated: writes waited for a slot through most of the second (demand above what the server takes).
      meter.add({ intervalMs, completed, busyMs: used.active, saturated: queuedMs >= 0.9 * intervalMs, at: now() });
    },
  };
  const sampleMs = options.capacitySampleMs ?? 1000;
  if (sampleMs > 0) {
    const timer = setInterval(() => capacityView.sample(), sampleMs);
    timer.unref();
    app.addHook('onClose', async () => clearInterval(timer));
  }
  const slots = new RetrySlots(now);
  const capacity = () => meter.reading(now()).writesPerSecond;
  const advise = () => slots.assign(capacity(), options.heldBackUntil?.() ?? 0);
  const body = OVERLOADED;
  /** Sets a 503 with its advice on `reply` and returns the body to send. */
  const refuse = (reply: FastifyReply) => {
    const advice = advise();
    void reply
      .status(503)
      .header('retry-after', String(advice.retryAfterSeconds))
      .header(RETRY_SPREAD_HEADER, String(advice.spreadSeconds));
    return body;
  };

  await app.register(underPressure, {
    maxEventLoopDelay: options.maxEventLoopDelayMs,
    maxHeapUsedBytes: options.maxHeapUsedBytes,
    sampleInterval: options.sampleIntervalMs ?? 1000,
    // under-pressure sends a handler's non-null return value as the reply and stops the request there
    // (index.js, handlePressure); its types say void, hence the cast. Undefined lets the request through.
    pressureHandler: (request, reply) => (isCheap(request) ? undefined : (refuse(reply) as unknown as undefined)),
  });

  const releases = new WeakMap<FastifyRequest, () => void>();
  // The slot is taken once the request is authenticated (routes authenticate in onRequest) and its body read and
  // validated (preHandler comes after both): a slow or anonymous body holds a socket, never a write slot.
  // Fastify's contract for async hooks: return the reply once it was sent, nothing to let the request go on.
  // oxlint-disable-next-line typescript/consistent-return
  app.addHook('preHandler', async (request, reply) => {
    const name = gateOf(request.method, request.url);
    if (name === undefined || reply.sent) return undefined;
    const entered = gates[name].enter();
    if (entered === 'shed') return reply.send(refuse(reply));
    const release = await entered;
    // Given back when the answer is done or its connection ends, whichever comes first. Fastify runs onResponse only
    // when an answer finishes and onRequestAbort only while a body is still arriving, so a client that leaves once
    // its body was read (a tablet asleep, a timeout) would otherwise keep its slot for good, and the gate would
    // close after as many departures as it has slots.
    if (reply.raw.destroyed || request.raw.socket?.destroyed) {
      release();
      return reply.send(refuse(reply));
    }
    reply.raw.once('close', release);
    releases.set(request, release);
    return undefined;
  });
  // Callback style: most requests are reads and pass without a promise each.
  const release = (request: FastifyRequest) => {
    releases.get(request)?.();
    releases.delete(request);
  };
  app.addHook('onResponse', (request, reply, done) => {
    release(request);
    answered?.(request.raw, reply.statusCode);
    done();
  });
  app.addHook('onRequestAbort', (request, done) => {
    release(request);
    done();
  });
  const hashes =
    options.maxSignInsPerSecond > 0
      ? new TokenBucket(options.maxSignInsPerSecond, Math.max(2, 2 * options.maxSignInsPerSecond))
      : undefined;
  return {
    capacity: capacityView,
    gates,
    advise,
    saturated: () => gates.writes.saturated() || gates.signIn.saturated(),
    secretChecks: {
      mayCheck: (reply) => {
        if (!hashes || hashes.take()) return true;
        refuse(reply);
        return false;
      },
      wrong: () => hashes?.charge(WRONG_SECRET_COST - 1),
      spent: () => hashes?.empty() ?? false,
    },
  };
}
