import { describe, expect, it } from 'vitest';
import { formatClock } from './format.ts';

describe('formatClock', () => {
  it('says the time the French way, in the school’s time zone', () => {
    const at = Date.parse('2026-11-23T07:47:00Z'); // 8:47 in Paris (UTC+1 in November)
    expect(formatClock(at, 'fr', 'Europe/Paris')).toBe('8 h 47');
    expect(formatClock(at, 'en', 'Europe/Paris')).toBe('08:47');
    expect(formatClock(Date.parse('2026-07-01T21:05:00Z'), 'fr', 'Europe/Paris')).toBe('23 h 05');
  });
});
