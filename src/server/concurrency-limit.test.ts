import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../sync/fakes.ts';
import { AdaptiveLimit } from './concurrency-limit.ts';

/**
 * A fake server with `workers` parallel workers of `serviceMs` each, always asked for more than the limit lets in
 * (closed loop): `limit` requests share the workers, so each takes serviceMs × max(1, limit / workers). Returns the
 * limit and the throughput seen at every completion, on a fake clock.
 */
function drive(
  limiter: AdaptiveLimit,
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

describe('AdaptiveLimit', () => {
  it('converges to a fake server’s capacity within 30 s: its workers busy, latency at most twice the no-load one', () => {
    const clock = { t: 0 };
    const limiter = new AdaptiveLimit({ initial: 4, min: 1, max: 1000 }, () => clock.t);
    drive(limiter, clock, 30, () => ({ workers: 32, serviceMs: 10 }));
    // Every worker busy (no throughput lost), and at most one request waiting per worker (twice the bandwidth-delay
    // product: latency within 2 × no-load).
    expect(limiter.limit).toBeGreaterThanOrEqual(32);
    expect(limiter.limit).toBeLessThanOrEqual(2 * 32);
    expect(limiter.noLoadMs).toBeCloseTo(10, 5);
  });

  it('follows a drop in capacity within 3 s, and a rise back within 30 s', () => {
    const clock = { t: 0 };
    const limiter = new AdaptiveLimit({ initial: 4, min: 1, max: 1000 }, () => clock.t);
    drive(limiter, clock, 30, () => ({ workers: 32, serviceMs: 10 }));
    drive(limiter, clock, 3, () => ({ workers: 4, serviceMs: 10 }));
    expect(limiter.limit).toBeGreaterThanOrEqual(4);
    expect(limiter.limit).toBeLessThanOrEqual(2 * 4);
    drive(limiter, clock, 30, () => ({ workers: 32, serviceMs: 10 }));
    expect(limiter.limit).toBeGreaterThanOrEqual(32);
  });

  it('holds within a band under noisy service times once converged: workers kept busy, latency bounded', () => {
    const clock = { t: 0 };
    const random = new SeededRandom(7);
    const limiter = new AdaptiveLimit({ initial: 4, min: 1, max: 1000 }, () => clock.t);
    const noisy = () => ({ workers: 16, serviceMs: 10 * (0.8 + 0.4 * random.next()) });
    drive(limiter, clock, 30, noisy);
    const { limits, throughput } = drive(limiter, clock, 60, noisy);
    const { min, max } = band(limits);
    // The band stated in concurrency-limit.ts, with the noise's margin: from about the workers to about twice them.
    expect(min).toBeGreaterThanOrEqual(14);
    expect(max).toBeLessThanOrEqual(40);
    const mean = throughput.reduce((a, b) => a + b, 0) / throughput.length;
    expect(mean).toBeGreaterThanOrEqual(0.9 * 1600);
  });

  it('does not grow a limit the traffic does not use, keeps a learnt one through a quiet hour, and stays within its bounds', () => {
    const clock = { t: 0 };
    const limiter = new AdaptiveLimit({ initial: 8, min: 8, max: 64 }, () => clock.t);
    for (let i = 0; i < 10_000; i++) {
      clock.t += 10;
      limiter.sample(5, 1);
    }
    expect(limiter.limit).toBe(8);
    drive(limiter, clock, 60, () => ({ workers: 500, serviceMs: 10 }));
    expect(limiter.limit).toBe(64);
    // A quiet hour, one write at a time: what it says of throughput is nothing, and the rush's limit stays.
    for (let i = 0; i < 3600; i++) {
      clock.t += 1000;
      limiter.sample(10, 1);
    }
    expect(limiter.limit).toBe(64);
    drive(limiter, clock, 30, () => ({ workers: 1, serviceMs: 10 }));
    // Back to the floor and its queue allowance: a single worker measured at the minimum concurrency of 8.
    expect(limiter.limit).toBeGreaterThanOrEqual(8);
    expect(limiter.limit).toBeLessThanOrEqual(16);
  });

  it('is not held down in a rush by how fast writes were alone before it', () => {
    const clock = { t: 0 };
    const limiter = new AdaptiveLimit({ initial: 8, min: 8, max: 256 }, () => clock.t);
    // A quiet evening: one write at a time, each 1 ms (no batch to wait for).
    for (let i = 0; i < 5000; i++) {
      clock.t += 100;
      limiter.sample(1, 1);
    }
    // The rush, on 32 workers of 10 ms: every worker busy within 2 s, not after the next probe of the no-load latency.
    drive(limiter, clock, 2, () => ({ workers: 32, serviceMs: 10 }));
    expect(limiter.limit).toBeGreaterThanOrEqual(32);
  });
});
