import { describe, expect, it } from 'vitest';
import { backoffCeiling, delayAfterRejection, nextGridTime, parseRetryAfter } from './backoff.ts';
import { SeededRandom } from './fakes.ts';

const policy = { baseMs: 1000, capMs: 60_000 };

describe('backoff', () => {
  it('doubles the ceiling from the base up to the cap', () => {
    expect([0, 1, 2, 3, 5, 6, 7, 100].map((a) => backoffCeiling(a, policy))).toEqual([
      1000, 2000, 4000, 8000, 32_000, 60_000, 60_000, 60_000,
    ]);
  });

  it('draws full jitter uniformly below the ceiling when the server gave no Retry-After (the outbox’s own path)', () => {
    const random = new SeededRandom(7);
    const draws = Array.from({ length: 10_000 }, () => delayAfterRejection(4, undefined, () => random.next(), policy));
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(16_000);
    const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
    expect(mean).toBeGreaterThan(7_600);
    expect(mean).toBeLessThan(8_400);
  });

  it('reads Retry-After as seconds or as an HTTP date, never negative', () => {
    const now = Date.parse('2026-11-23T08:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Mon, 23 Nov 2026 08:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Mon, 23 Nov 2026 07:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it('never retries sooner than Retry-After, and adds jitter on top', () => {
    expect(delayAfterRejection(3, 30_000, () => 0, policy)).toBe(30_000);
    expect(delayAfterRejection(3, 30_000, () => 0.5, policy)).toBe(34_000);
    expect(delayAfterRejection(3, undefined, () => 0.5, policy)).toBe(4_000);
  });

  it('covers the server’s spread with jitter only when it gave no Retry-After (its Retry-After is already spread)', () => {
    expect(delayAfterRejection(0, 30_000, () => 0.5, policy, 600_000)).toBe(30_500);
    expect(delayAfterRejection(0, undefined, () => 0.5, policy, 600_000)).toBe(300_000);
  });
});

describe('nextGridTime', () => {
  it('lands on the device’s own phase of the period, at least the minimum gap away', () => {
    expect(nextGridTime(0, 100_000, 0.25)).toBe(25_000);
    expect(nextGridTime(25_000, 100_000, 0.25)).toBe(125_000);
    expect(nextGridTime(24_500, 100_000, 0.25)).toBe(125_000);
    expect(nextGridTime(1_000_000, 100_000, 0)).toBe(1_100_000);
  });

  it('brings devices with spread-out phases back evenly over one period after an outage', () => {
    const random = new SeededRandom(5);
    const recovery = 1_800_000;
    const returns = Array.from({ length: 10_000 }, () => nextGridTime(recovery, 100_000, random.next(), 0) - recovery);
    const perTenSeconds = Array.from(
      { length: 10 },
      (_, i) => returns.filter((r) => r >= i * 10_000 && r < (i + 1) * 10_000).length,
    );
    for (const n of perTenSeconds) expect(n).toBeGreaterThan(900);
    for (const n of perTenSeconds) expect(n).toBeLessThan(1100);
    expect(Math.max(...returns)).toBeLessThan(100_000);
  });
});
