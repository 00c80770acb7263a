import { describe, expect, it } from 'vitest';
import { addWeeks, isoWeekAt, isValidIsoWeek, mondayOfIsoWeek, weeksInYear } from './iso-week.ts';

describe('ISO weeks', () => {
  it('knows which years have 53 weeks', () => {
    expect(weeksInYear(2026)).toBe(53);
    expect(weeksInYear(2025)).toBe(52);
    expect(weeksInYear(2020)).toBe(53);
  });

  it('accepts only weeks that exist', () => {
    expect(isValidIsoWeek('2026-W48')).toBe(true);
    expect(isValidIsoWeek('2026-W53')).toBe(true);
    for (const bad of ['2025-W53', '2026-W00', '2026-W54', '2026-48', '2026-W4', 'W48', '2026-W48 ']) {
      expect(isValidIsoWeek(bad), bad).toBe(false);
    }
  });

  it('takes the week on the wall clock of the school', () => {
    // Sunday 29 November 2026, 23:30 UTC is already Monday 30 November in Paris: week 49 there, 48 in UTC.
    const instant = Date.parse('2026-11-29T23:30:00Z');
    expect(isoWeekAt(instant, 'UTC')).toBe('2026-W48');
    expect(isoWeekAt(instant, 'Europe/Paris')).toBe('2026-W49');
  });

  it('handles the turn of the year', () => {
    expect(isoWeekAt(Date.parse('2027-01-01T12:00:00Z'), 'Europe/Paris')).toBe('2026-W53');
    expect(mondayOfIsoWeek('2026-W01')).toBe('2025-12-29');
    expect(addWeeks('2026-W53', 1)).toBe('2027-W01');
    expect(addWeeks('2026-W01', -1)).toBe('2025-W52');
  });
});
