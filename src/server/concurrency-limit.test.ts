import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../sync/fakes.ts';
import { VegasLimit } from './concurrency-limit.ts';

/**
 * A fake server with `workers` parallel workers of `serviceMs` each, always asked for more than the limit lets in
 * (closed loop): `limit` requests share the workers, so each takes serviceMs × max(1, limit / workers). Returns the
 * limit and the throughput seen at every completion, on a fake clock.
 */
function drive(
  limiter: VegasLimit,
  clock: { t: number },
  seconds: number,
  server: () => { workers: number; serviceMs: number },
): { limits: number[]; throughput: number[] } {
  const limits: number[] = [];
  const throughput: number[] = [];
  const end = clock.t + seconds * 1000;
  while (clock.t < end) {
    const { workers, serviceMs } = server();
    const inFlight = limiter.limit;
    const rtt = serviceMs * Math.max(1, inFlight / workers);
    // inFlight requests finish every rtt: one completion each rtt / inFlight.
    clock.t += rtt / inFlight;
    limiter.sample(rtt, inFlight);
    if (!limiter.probing) limits.push(limiter.limit);
    throughput.push((Math.min(inFlight, workers) * 1000) / serviceMs);
  }
  return { limits, throughput };
}

const band = (values: number[]) => ({ min: Math.min(...values), max: Math.max(...values) });

describe('VegasLimit', () => {
  it('converges to a fake server’s capacity: its workers busy, a short queue, within 30 s', () => {
    const clock = { t: 0 };
    const limiter = new VegasLimit({ initial: 4, min: 1, max: 1000 }, () => clock.t);
    drive(limiter, clock, 30, () => ({ workers: 32, serviceMs: 10 }));
    // Every worker busy (no throughput lost), and at most alpha..beta of queue (latency within 1.5 × no-load).
    expect(limiter.limit).toBeGreaterThanOrEqual(32);
    expect(limiter.limit).toBeLessThanOrEqual(32 * 1.5);
    expect(limiter.noLoadMs).toBeCloseTo(10, 5);
  });

  it('follows a drop in capacity within 1 s, and a rise back within 30 s', () => {
    const clock = { t: 0 };
    const limiter = new VegasLimit({ initial: 4, min: 1, max: 1000 }, () => clock.t);
    drive(limiter, clock, 30, () => ({ workers: 32, serviceMs: 10 }));
    drive(limiter, clock, 1, () => ({ workers: 4, serviceMs: 10 }));
    expect(limiter.limit).toBeGreaterThanOrEqual(4);
    // alpha..beta of queue above the workers: at most 4 + 6 × log10(limit), and a step.
    expect(limiter.limit).toBeLessThanOrEqual(12);
    drive(limiter, clock, 30, () => ({ workers: 32, serviceMs: 10 }));
    expect(limiter.limit).toBeGreaterThanOrEqual(32);
  });

  it('holds within a band under noisy service times once converged: workers kept busy, latency bounded', () => {
    const clock = { t: 0 };
    const random = new SeededRandom(7);
    const limiter = new VegasLimit({ initial: 4, min: 1, max: 1000 }, () => clock.t);
    const noisy = () => ({ workers: 16, serviceMs: 10 * (0.8 + 0.4 * random.next()) });
    drive(limiter, clock, 30, noisy);
    const { limits, throughput } = drive(limiter, clock, 60, noisy);
    const { min, max } = band(limits);
    // The band stated in concurrency-limit.ts: from the workers (never starving them for long) to about 2 × them.
    expect(min).toBeGreaterThanOrEqual(12);
    expect(max).toBeLessThanOrEqual(32);
    const mean = throughput.reduce((a, b) => a + b, 0) / throughput.length;
    expect(mean).toBeGreaterThanOrEqual(0.9 * 1600);
  });

  it('does not grow a limit the traffic does not use, and stays within its bounds', () => {
    const clock = { t: 0 };
    const limiter = new VegasLimit({ initial: 8, min: 8, max: 64 }, () => clock.t);
    for (let i = 0; i < 10_000; i++) {
      clock.t += 10;
      limiter.sample(5, 1);
    }
    expect(limiter.limit).toBe(8);
    drive(limiter, clock, 60, () => ({ workers: 500, serviceMs: 10 }));
    expect(limiter.limit).toBe(64);
    drive(limiter, clock, 30, () => ({ workers: 1, serviceMs: 10 }));
    // Back to the floor and its queue allowance: a single worker measured at the minimum concurrency of 8.
    expect(limiter.limit).toBeGreaterThanOrEqual(8);
    expect(limiter.limit).toBeLessThanOrEqual(16);
  });
});
