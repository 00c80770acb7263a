import { describe, expect, it } from 'vitest';
import { AdaptiveThrottle } from './adaptive-throttle.ts';
import { FakeClock } from './fakes.ts';

describe('AdaptiveThrottle', () => {
  it('sends freely while the server accepts', () => {
    const t = new AdaptiveThrottle(new FakeClock(0));
    expect(t.rejectProbability()).toBe(0);
    for (let i = 0; i < 100; i++) t.record(true);
    expect(t.rejectProbability()).toBe(0);
  });

  it('refuses locally more and more as refusals pile up: (requests - 2 accepts) / (requests + 1)', () => {
    const t = new AdaptiveThrottle(new FakeClock(0));
    for (let i = 0; i < 10; i++) t.record(false);
    expect(t.rejectProbability()).toBeCloseTo(10 / 11);
    for (let i = 0; i < 3; i++) t.record(true);
    // 13 requests, 3 accepted: (13 - 6) / 14
    expect(t.rejectProbability()).toBeCloseTo(7 / 14);
  });

  it('forgets after two minutes', async () => {
    const clock = new FakeClock(0);
    const t = new AdaptiveThrottle(clock);
    for (let i = 0; i < 10; i++) t.record(false);
    await clock.advance(120_001);
    expect(t.rejectProbability()).toBe(0);
  });
});
