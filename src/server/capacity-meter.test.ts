import { describe, expect, it } from 'vitest';
import { CapacityMeter } from './capacity-meter.ts';

const second = (at: number, completed: number, busyMs: number, saturated = false) => ({
  intervalMs: 1000,
  completed,
  busyMs,
  saturated,
  at,
});

describe('CapacityMeter', () => {
  it('gives the configured figure until something is measured, then projects a write’s busy time to a full loop', () => {
    const meter = new CapacityMeter(100);
    expect(meter.reading(0)).toEqual({ writesPerSecond: 100, source: 'configured' });
    // A quiet second tells nothing; then 20 writes cost 100 ms of loop: 5 ms each, 200 per busy second.
    meter.add(second(1000, 1, 900));
    expect(meter.reading(1000).source).toBe('configured');
    for (let t = 2; t < 200; t++) meter.add(second(t * 1000, 20, 100));
    expect(meter.reading(200_000).source).toBe('projected');
    expect(meter.reading(200_000).writesPerSecond).toBeCloseTo(200, 0);
  });

  it('takes saturated seconds as the measure once there are some, and follows them quickly', () => {
    const meter = new CapacityMeter(1000);
    for (let t = 1; t < 100; t++) meter.add(second(t * 1000, 20, 100));
    for (let t = 100; t < 110; t++) meter.add(second(t * 1000, 150, 1000, true));
    expect(meter.reading(110_000)).toEqual({ writesPerSecond: expect.closeTo(150, 0) as number, source: 'saturated' });
    // The database got slower: five saturated seconds at 60 move it most of the way.
    for (let t = 110; t < 115; t++) meter.add(second(t * 1000, 60, 1000, true));
    expect(meter.reading(115_000).writesPerSecond).toBeLessThan(80);
    // Six days later it still stands; eight days later with no saturation, the projection is the figure again.
    expect(meter.reading(115_000 + 6 * 24 * 3600_000).source).toBe('saturated');
    expect(meter.reading(115_000 + 8 * 24 * 3600_000).source).toBe('projected');
  });

  it('takes back a saturated figure kept from before a restart, unless it has measured a newer one', () => {
    const meter = new CapacityMeter(100);
    meter.restore({ writesPerSecond: 900, at: 5000 });
    expect(meter.reading(6000)).toEqual({ writesPerSecond: 900, source: 'saturated' });
    // A saturated second since: it moves the kept figure (0.7 × 900 + 0.3 × 300), and the old one is not taken back.
    meter.add(second(7000, 300, 1000, true));
    meter.restore({ writesPerSecond: 900, at: 5000 });
    expect(meter.saturated()).toEqual({ writesPerSecond: 720, at: 7000 });
  });

  it('never reads above its ceiling; a saturated second that completed nothing is no measure', () => {
    const meter = new CapacityMeter(100, 50);
    expect(meter.reading(0).writesPerSecond).toBe(50);
    for (let t = 1; t < 50; t++) meter.add(second(t * 1000, 10, 10));
    expect(meter.reading(50_000)).toEqual({ writesPerSecond: 50, source: 'projected' });
    const slow = new CapacityMeter(100);
    for (let t = 1; t < 50; t++) slow.add(second(t * 1000, 2, 1000, true));
    expect(slow.reading(50_000).writesPerSecond).toBe(2);
    slow.add(second(51_000, 0, 1000, true));
    expect(slow.reading(51_000).writesPerSecond).toBe(2);
  });
});
