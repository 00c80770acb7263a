/**
 * bench:capacity — how well the real server knows what it can take (capacity-meter.ts), and what its adaptive write
 * limit (concurrency-limit.ts) does to throughput and latency under saturation.
 *
 * Each round starts two copies of the built server at once on fresh data (SQLite, synchronous=FULL, group commit):
 * one with the adaptive write limit (the default), one with the fixed limit (ADAPTIVE_WRITES=0), both at
 * MAX_CONCURRENT_WRITES=32. For each, in turn:
 *   light:     LIGHT_RATE submissions/s for LIGHT_SECONDS (autocannon at a fixed overall rate); then /api/ready gives
 *              the capacity the server projected from what those writes cost it;
 *   moderate:  MODERATE_RATE submissions/s (about a tenth of what it takes) for as long; the projection again;
 *   saturated: 64 connections for SATURATED_SECONDS; the 201s per second are what it can actually take, here, with
 *              the load generator on the same two cores; then /api/ready gives the capacity measured saturated.
 * The projection error (projected / actual) is the figure bench:herd simulates the learnt recovery period with.
 */
import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import { type RunningServer, startServer } from '../e2e/server.ts';
import type { CapacityStatus } from '../src/protocol/schemas.ts';
import { type DemoSession, demoSession, homeworkBody } from './demo-client.ts';
import { median, printTable, writeResults } from './report.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const LIGHT_RATE = 20;
const LIGHT_SECONDS = 12;
const MODERATE_RATE = 300;
const SATURATED_SECONDS = 6;
const CONNECTIONS = 64;

async function submit(
  s: DemoSession,
  options: { connections: number; seconds: number; overallRate?: number },
): Promise<{ created: number; other: number; p50: number; p99: number }> {
  const r = await autocannon({
    url: s.url,
    connections: options.connections,
    duration: options.seconds,
    ...(options.overallRate ? { overallRate: options.overallRate } : {}),
    requests: [
      {
        method: 'PUT',
        headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' },
        setupRequest: (req) => ({ ...req, path: `/api/submissions/${randomUUID()}`, body: homeworkBody(s.week) }),
      },
    ],
  });
  const created = r.statusCodeStats['201']?.count ?? 0;
  return { created, other: r.requests.total - created + r.errors, p50: r.latency.p50, p99: r.latency.p99 };
}

async function capacityOf(url: string): Promise<CapacityStatus> {
  // Readiness answers 503 while the instance sheds load; the load has just stopped, so it passes within a moment.
  for (let i = 0; i < 50; i++) {
    const res = await fetch(`${url}/api/ready`);
    if (res.ok) return ((await res.json()) as { capacity: CapacityStatus }).capacity;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url}: /api/ready never answered 200`);
}

interface Arm {
  projected: number[];
  projectedModerate: number[];
  actual: number[];
  saturatedReading: number[];
  limit: number[];
  p50: number[];
  p99: number[];
  refusedOrFailed: number;
}
const arm = (): Arm => ({
  projected: [],
  projectedModerate: [],
  actual: [],
  saturatedReading: [],
  limit: [],
  p50: [],
  p99: [],
  refusedOrFailed: 0,
});
const arms = { adaptive: arm(), fixed: arm() };
const ENV = { LOG_LEVEL: 'error', MAX_CONCURRENT_WRITES: '32', SERVER_CAPACITY: '100' };

for (let round = 0; round < ROUNDS; round++) {
  const servers: Record<keyof typeof arms, RunningServer> = {
    adaptive: await startServer(ENV),
    fixed: await startServer({ ...ENV, ADAPTIVE_WRITES: '0' }),
  };
  try {
    const order = round % 2 === 0 ? (['adaptive', 'fixed'] as const) : (['fixed', 'adaptive'] as const);
    for (const name of order) {
      const session = await demoSession(servers[name].url);
      const a = arms[name];
      const light = await submit(session, { connections: 4, seconds: LIGHT_SECONDS, overallRate: LIGHT_RATE });
      a.refusedOrFailed += light.other;
      const projected = await capacityOf(session.url);
      if (projected.source !== 'projected') throw new Error(`${name}: capacity ${projected.source} after light load`);
      a.projected.push(projected.writesPerSecond);
      const moderate = await submit(session, { connections: 16, seconds: LIGHT_SECONDS, overallRate: MODERATE_RATE });
      a.refusedOrFailed += moderate.other;
      const projectedModerate = await capacityOf(session.url);
      if (projectedModerate.source !== 'projected')
        throw new Error(`${name}: capacity ${projectedModerate.source} after moderate load`);
      a.projectedModerate.push(projectedModerate.writesPerSecond);
      const heavy = await submit(session, { connections: CONNECTIONS, seconds: SATURATED_SECONDS });
      a.actual.push(heavy.created / SATURATED_SECONDS);
      a.p50.push(heavy.p50);
      a.p99.push(heavy.p99);
      a.refusedOrFailed += heavy.other;
      const measured = await capacityOf(session.url);
      a.saturatedReading.push(measured.writesPerSecond);
      a.limit.push(measured.concurrencyLimit);
    }
  } finally {
    await servers.adaptive.dispose();
    await servers.fixed.dispose();
  }
}

const summary = (a: Arm) => ({
  projectedPerSecond: median(a.projected),
  actualPerSecond: median(a.actual),
  saturatedReadingPerSecond: median(a.saturatedReading),
  /** Median over rounds of projected / actual, each round's own pair. */
  projectionError: median(a.projected.map((p, i) => p / (a.actual[i] ?? 1))),
  projectedModeratePerSecond: median(a.projectedModerate),
  moderateProjectionError: median(a.projectedModerate.map((p, i) => p / (a.actual[i] ?? 1))),
  saturatedError: median(a.saturatedReading.map((p, i) => p / (a.actual[i] ?? 1))),
  concurrencyLimit: median(a.limit),
  p50Ms: median(a.p50),
  p99Ms: median(a.p99),
  refusedOrFailed: a.refusedOrFailed,
});
const adaptive = summary(arms.adaptive);
const fixed = summary(arms.fixed);
const figures = {
  adaptive,
  fixed,
  throughputAdaptiveOverFixed: adaptive.actualPerSecond / fixed.actualPerSecond,
  p99AdaptiveOverFixed: adaptive.p99Ms / fixed.p99Ms,
  light: `${LIGHT_RATE}/s for ${LIGHT_SECONDS} s, 4 connections`,
  moderate: `${MODERATE_RATE}/s for ${LIGHT_SECONDS} s, 16 connections`,
  saturated: `${CONNECTIONS} connections for ${SATURATED_SECONDS} s (autocannon, same machine)`,
  rounds: ROUNDS,
  samples: arms,
};
printTable(
  (['adaptive', 'fixed'] as const).map((name) => {
    const f = figures[name];
    return {
      limit: name === 'adaptive' ? 'adaptive (max 32)' : 'fixed 32',
      'projected at 20/s': f.projectedPerSecond,
      'saturated, actual': f.actualPerSecond,
      'projected / actual': f.projectionError,
      [`projected at ${MODERATE_RATE}/s`]: f.projectedModeratePerSecond,
      'moderate: projected / actual': f.moderateProjectionError,
      'reading saturated / actual': f.saturatedError,
      'slots learnt': f.concurrencyLimit,
      'p50 ms': f.p50Ms,
      'p99 ms': f.p99Ms,
      'refused or failed': f.refusedOrFailed,
    };
  }),
);
console.log(`written: ${writeResults('capacity', figures)}`);
