import { describe, expect, it } from 'vitest';
import { RetrySlots } from './admission.ts';
import { PeakCalendar } from './peak-calendar.ts';

const morning = { start: '08:00', end: '09:00', days: [1, 2, 3, 4, 5], admit: 0.5, spreadSeconds: 1800 };
// Monday 30 November 2026; Paris is UTC+1, Montreal UTC-5.
const paris = (hh: number, mm: number, ss = 0) => Date.UTC(2026, 10, 30, hh - 1, mm, ss);

describe('PeakCalendar', () => {
  it('gives, during an announced peak, the end of the window of held-back work; 0 outside', () => {
    const calendar = new PeakCalendar();
    expect(calendar.heldBackUntil(paris(8, 30))).toBe(0);
    calendar.announce('jules-ferry', 'Europe/Paris', [morning]);
    expect(calendar.heldBackUntil(paris(8, 30, 12))).toBe(paris(9, 30));
    expect(calendar.heldBackUntil(paris(7, 59))).toBe(0);
    expect(calendar.heldBackUntil(paris(9, 0))).toBe(0);
    expect(calendar.heldBackUntil(Date.UTC(2026, 10, 28, 7, 30))).toBe(0); // Saturday
    // Another school, another time zone: its own morning.
    calendar.announce('montreal', 'America/Montreal', [morning]);
    expect(calendar.heldBackUntil(Date.UTC(2026, 10, 30, 13, 30))).toBe(Date.UTC(2026, 10, 30, 14, 30));
    calendar.announce('jules-ferry', 'Europe/Paris', []);
    expect(calendar.heldBackUntil(paris(8, 30))).toBe(0);
  });

  it('makes refused clients’ return slots start after that window', () => {
    const slots = new RetrySlots(() => paris(8, 30));
    const until = paris(9, 30);
    const first = slots.assign(100, until);
    expect(first.retryAfterSeconds).toBeGreaterThanOrEqual(3600);
    expect(slots.assign(100, until).retryAfterSeconds).toBeGreaterThanOrEqual(first.retryAfterSeconds);
  });
});
