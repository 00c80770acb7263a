import { describe, expect, it } from 'vitest';
import {
  DEFAULT_POLICY,
  hash32,
  inWindow,
  nextSlot,
  previousSlot,
  type SyncPolicy,
  slotFraction,
  slotInWindow,
  windowStartingOn,
} from './slot-planner.ts';
import { type CalendarDate, wallClock, zonedInstant } from '../protocol/zoned-time.ts';

const paris: SyncPolicy = { ...DEFAULT_POLICY, timeZone: 'Europe/Paris' };
const HOUR = 3_600_000;

/**
 * Where `n` devices will check in the window that starts on `date`, placed by slotInWindow (what nextSlot places
 * with: the last test below holds them together), so a planner that put every device at the window's start fails
 * here; returns the busiest minute against the mean.
 */
function busiestMinute(n: number, device: (i: number) => { id: string; seat?: number }, date: CalendarDate) {
  const w = windowStartingOn(paris, date);
  if (!w) throw new Error('no window');
  const minutes = Math.round((w.end - w.start) / 60_000);
  const bins = Array.from({ length: minutes }, () => 0);
  for (let i = 0; i < n; i++) {
    const at = slotInWindow(w, date, device(i));
    if (at < w.start || at >= w.end) throw new Error(`device ${i}: slot outside the window`);
    const bin = Math.floor((at - w.start) / 60_000);
    bins[bin] = (bins[bin] ?? 0) + 1;
  }
  return Math.max(...bins) / (n / minutes);
}

describe('slot planner', () => {
  it('spreads 100,000 registered devices so the busiest minute holds at most 1.2 × the mean', () => {
    const ratio = busiestMinute(100_000, (i) => ({ id: `device-${i}`, seat: i }), { year: 2026, month: 11, day: 23 });
    expect(ratio).toBeLessThanOrEqual(1.2);
    // And another week's rotation of the sequence is as even.
    const later = busiestMinute(100_000, (i) => ({ id: `device-${i}`, seat: i }), { year: 2027, month: 1, day: 11 });
    expect(later).toBeLessThanOrEqual(1.2);
  });

  it('devices without a seat hash their id: spread, though only as evenly as chance allows', () => {
    const ratio = busiestMinute(100_000, (i) => ({ id: crypto.randomUUID() + String(i) }), {
      year: 2026,
      month: 11,
      day: 23,
    });
    // Independent hashes are balls in bins: about 1.3 × the mean over a 12-hour night, never a pile-up.
    expect(ratio).toBeGreaterThan(1);
    expect(ratio).toBeLessThan(1.6);
  });

  it("keeps a device's slot within a week and moves it from one week to the next", () => {
    const device = { id: 'tablette-3', seat: 41 };
    expect(slotFraction(device, '2026-W48')).toBe(slotFraction(device, '2026-W48'));
    expect(slotFraction(device, '2026-W48')).not.toBe(slotFraction(device, '2026-W49'));
    const monday = zonedInstant({ year: 2026, month: 11, day: 23 }, 12, 0, 'Europe/Paris');
    const first = nextSlot(paris, device, monday);
    const second = nextSlot(paris, device, monday + 24 * HOUR);
    if (first === undefined || second === undefined) throw new Error('no slot');
    // Same week, next evening: the same wall-clock time.
    expect(second - first).toBe(24 * HOUR);
    const a = wallClock(first, 'Europe/Paris');
    expect(a.hour >= 19 || a.hour < 7).toBe(true);
  });

  it('places the window in the school’s time zone', () => {
    const w = windowStartingOn(paris, { year: 2026, month: 7, day: 1 }); // summer: UTC+2
    expect(w && new Date(w.start).toISOString()).toBe('2026-07-01T17:00:00.000Z');
    expect(w && new Date(w.end).toISOString()).toBe('2026-07-02T05:00:00.000Z');
    const tokyo = windowStartingOn({ ...paris, timeZone: 'Asia/Tokyo' }, { year: 2026, month: 7, day: 1 });
    expect(tokyo && new Date(tokyo.start).toISOString()).toBe('2026-07-01T10:00:00.000Z');
  });

  it('follows daylight-saving changes: the night is 11 h in March and 13 h in October, still 19:00 to 07:00', () => {
    const spring = windowStartingOn(paris, { year: 2026, month: 3, day: 28 }); // clocks go forward on the 29th
    const autumn = windowStartingOn(paris, { year: 2026, month: 10, day: 24 }); // back on the 25th
    if (!spring || !autumn) throw new Error('no window');
    expect((spring.end - spring.start) / HOUR).toBe(11);
    expect((autumn.end - autumn.start) / HOUR).toBe(13);
    expect(wallClock(spring.end, 'Europe/Paris')).toMatchObject({ hour: 7, minute: 0 });
    expect(wallClock(autumn.end, 'Europe/Paris')).toMatchObject({ hour: 7, minute: 0 });
    // A device's slot stays inside the shorter night.
    for (let seat = 0; seat < 200; seat++) {
      const s = nextSlot(paris, { id: 'x', seat }, spring.start - 1);
      expect(s).toBeGreaterThanOrEqual(spring.start);
      expect(s).toBeLessThan(spring.end);
    }
  });

  it('knows whether an instant is off-peak, and skips days without a window', () => {
    const at = (d: number, h: number) => zonedInstant({ year: 2026, month: 11, day: d }, h, 0, 'Europe/Paris');
    expect(inWindow(paris, at(23, 8))).toBe(false);
    expect(inWindow(paris, at(23, 20))).toBe(true);
    expect(inWindow(paris, at(24, 3))).toBe(true);
    const weekdays: SyncPolicy = { ...paris, days: [1, 2, 3, 4, 5] }; // windows start Monday to Friday evenings
    const saturdayNoon = at(28, 12);
    const s = nextSlot(weekdays, { id: 'x', seat: 0 }, saturdayNoon);
    const monday = windowStartingOn(weekdays, { year: 2026, month: 11, day: 30 });
    expect(s).toBeGreaterThanOrEqual(monday?.start ?? Number.NaN); // nothing on Saturday or Sunday night
    expect(s).toBeLessThan(monday?.end ?? Number.NaN);
    expect(previousSlot(weekdays, { id: 'x', seat: 0 }, saturdayNoon)).toBeLessThan(saturdayNoon);
  });

  it('hashes the same way everywhere', () => {
    expect(hash32('')).toBe(hash32(''));
    expect(hash32('2026-W48')).not.toBe(hash32('2026-W49'));
    expect(hash32('abc')).toBeGreaterThanOrEqual(0);
    expect(hash32('abc')).toBeLessThan(2 ** 32);
  });

  it('gives each device, through nextSlot, the moment slotInWindow computes (the spread above is the real one)', () => {
    const date = { year: 2026, month: 11, day: 23 };
    const w = windowStartingOn(paris, date);
    if (!w) throw new Error('no window');
    for (let i = 0; i < 200; i++) {
      const device = i % 2 ? { id: `device-${i}`, seat: i * 37 } : { id: `sans-siege-${i}` };
      expect(nextSlot(paris, device, w.start - 1)).toBe(slotInWindow(w, date, device));
    }
  });
});
