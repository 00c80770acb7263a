import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../sync/fakes.ts';
import { firstSendAt, peakAt, type SendPeak } from './send-peaks.ts';

const morning: SendPeak = { start: '08:00', end: '09:00', days: [1, 2, 3, 4, 5], admit: 0.4, spreadSeconds: 1800 };
const paris = 'Europe/Paris';
// Monday 30 November 2026, Paris is UTC+1.
const at = (hh: number, mm: number, day = 30) => Date.UTC(2026, 10, day, hh - 1, mm);

describe('send peaks', () => {
  it('places a moment in a peak by the school’s clock and weekday, and gives the peak’s end', () => {
    expect(peakAt(at(8, 15), [morning], paris)?.endsAt).toBe(at(9, 0));
    expect(peakAt(at(7, 59), [morning], paris)).toBeUndefined();
    expect(peakAt(at(9, 0), [morning], paris)).toBeUndefined();
    expect(peakAt(at(8, 15, 28), [morning], paris)).toBeUndefined(); // Saturday
    expect(peakAt(at(8, 15), [], paris)).toBeUndefined();
    // Summer time: 08:30 in Paris on Monday 29 June 2026 is 06:30 UTC, and the peak ends at 07:00 UTC.
    expect(peakAt(Date.UTC(2026, 5, 29, 6, 30), [morning], paris)?.endsAt).toBe(Date.UTC(2026, 5, 29, 7, 0));
  });

  it('sends the admitted share at once and spreads the rest evenly over the spread after the peak', () => {
    const random = new SeededRandom(7);
    const created = at(8, 20);
    const sends = Array.from({ length: 20_000 }, () => firstSendAt(created, [morning], paris, () => random.next()));
    const now = sends.filter((t) => t === created).length / sends.length;
    expect(now).toBeGreaterThan(0.38);
    expect(now).toBeLessThan(0.42);
    const held = sends.filter((t) => t !== created);
    expect(Math.min(...held)).toBeGreaterThanOrEqual(at(9, 0));
    expect(Math.max(...held)).toBeLessThan(at(9, 30));
    // Even: each of the 30 minutes after the peak gets its thirtieth, within 15 %.
    const perMinute = Array.from({ length: 30 }, () => 0);
    for (const t of held) perMinute[Math.floor((t - at(9, 0)) / 60_000)]! += 1;
    for (const n of perMinute) expect(Math.abs(n / (held.length / 30) - 1)).toBeLessThan(0.15);
  });

  it('sends at once outside every peak', () => {
    expect(firstSendAt(at(10, 0), [morning], paris, () => 0.99)).toBe(at(10, 0));
    expect(firstSendAt(at(8, 30), undefined, paris, () => 0.99)).toBe(at(8, 30));
  });
});
