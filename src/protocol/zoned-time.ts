/**
 * Wall-clock time in a school's time zone, with Intl only (part of ECMAScript: no DOM, no Node). Enough to place an
 * off-peak window such as 19:00-07:00 Europe/Paris on real instants, across daylight-saving changes.
 */

export interface CalendarDate {
  year: number;
  month: number;
  day: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The wall-clock reading of `epochMs` in `timeZone`. */
export function wallClock(epochMs: number, timeZone: string): CalendarDate & { hour: number; minute: number } {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(epochMs))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return {
    year: parts.year ?? 1970,
    month: parts.month ?? 1,
    day: parts.day ?? 1,
    hour: parts.hour ?? 0,
    minute: parts.minute ?? 0,
  };
}

/** How far `timeZone` is ahead of UTC at `epochMs`, in ms (Paris in winter: 3,600,000). */
export function zoneOffsetMs(epochMs: number, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(epochMs))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  const asUtc = Date.UTC(
    parts.year ?? 1970,
    (parts.month ?? 1) - 1,
    parts.day ?? 1,
    parts.hour ?? 0,
    parts.minute ?? 0,
    parts.second ?? 0,
  );
  return asUtc - (epochMs - (((epochMs % 1000) + 1000) % 1000));
}

/**
 * The instant at which a wall clock in `timeZone` shows this date and time. A time that does not exist (skipped when
 * clocks go forward) gives the instant the same number of minutes after the jump; a time that occurs twice gives
 * the first.
 */
export function zonedInstant(date: CalendarDate, hour: number, minute: number, timeZone: string): number {
  const naive = Date.UTC(date.year, date.month - 1, date.day, hour, minute);
  const first = naive - zoneOffsetMs(naive, timeZone);
  const second = naive - zoneOffsetMs(first, timeZone);
  // Two candidates differ around a change of offset: take the earlier one that reads back as asked, else the later.
  const candidates = [Math.min(first, second), Math.max(first, second)];
  for (const t of candidates) {
    const w = wallClock(t, timeZone);
    if (w.hour === hour && w.minute === minute && w.day === date.day) return t;
  }
  return Math.max(first, second);
}

/** The calendar date `n` days after `date`. */
export function addDays(date: CalendarDate, n: number): CalendarDate {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day + n));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** ISO weekday of a calendar date: Monday 1 … Sunday 7. */
export function isoWeekday(date: CalendarDate): number {
  return new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay() || 7;
}
