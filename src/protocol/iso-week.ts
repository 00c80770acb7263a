/** ISO 8601 week helpers ("2026-W48"), pure and time-zone aware through Intl (ECMA-402, no DOM). */

/** The wire form of a week: four-digit year, "-W", two-digit week. */
export const ISO_WEEK_PATTERN = '^[0-9]{4}-W(0[1-9]|[1-4][0-9]|5[0-3])$';
const ISO_WEEK_RE = new RegExp(ISO_WEEK_PATTERN);

/** How many ISO weeks a year has (52 or 53). */
export function weeksInYear(year: number): number {
  // A year has 53 weeks when 28 December falls in week 53 (Jan 1 is a Thursday, or a leap year's Wednesday).
  const dec28 = new Date(Date.UTC(year, 11, 28));
  return isoWeekOfCalendarDate(dec28.getUTCFullYear(), dec28.getUTCMonth() + 1, dec28.getUTCDate()).week;
}

/** True when s is a well-formed ISO week that exists (2026-W53 does, 2025-W53 does not). */
export function isValidIsoWeek(s: string): boolean {
  if (!ISO_WEEK_RE.test(s)) return false;
  const year = Number(s.slice(0, 4));
  const week = Number(s.slice(6));
  // Every year has 52 weeks; only week 53 needs the calendar (this runs on every manifest request).
  return week <= 52 || weeksInYear(year) === 53;
}

/** The ISO week of a calendar date (year, month 1-12, day). */
export function isoWeekOfCalendarDate(year: number, month: number, day: number): { year: number; week: number } {
  const date = new Date(Date.UTC(year, month - 1, day));
  const weekday = date.getUTCDay() || 7; // Monday = 1 … Sunday = 7
  date.setUTCDate(date.getUTCDate() + 4 - weekday); // the Thursday of this week decides its year
  const isoYear = date.getUTCFullYear();
  const firstDay = Date.UTC(isoYear, 0, 1);
  const week = Math.floor((date.getTime() - firstDay) / 86_400_000 / 7) + 1;
  return { year: isoYear, week };
}

/** Formats { year, week } as "2026-W48". */
export function formatIsoWeek(w: { year: number; week: number }): string {
  return `${String(w.year).padStart(4, '0')}-W${String(w.week).padStart(2, '0')}`;
}

/** The ISO week that contains the instant `epochMs` as seen on a wall clock in `timeZone`. */
export function isoWeekAt(epochMs: number, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' })
    .formatToParts(new Date(epochMs))
    .reduce<Record<string, string>>((acc, p) => {
      acc[p.type] = p.value;
      return acc;
    }, {});
  return formatIsoWeek(isoWeekOfCalendarDate(Number(parts.year), Number(parts.month), Number(parts.day)));
}

/** Monday of an ISO week as a UTC calendar date "YYYY-MM-DD". */
export function mondayOfIsoWeek(isoWeek: string): string {
  const year = Number(isoWeek.slice(0, 4));
  const week = Number(isoWeek.slice(6));
  const jan4 = new Date(Date.UTC(year, 0, 4));
  const jan4Weekday = jan4.getUTCDay() || 7;
  const monday = new Date(jan4.getTime() + ((week - 1) * 7 - (jan4Weekday - 1)) * 86_400_000);
  return monday.toISOString().slice(0, 10);
}

/** The week n weeks after (or before, n < 0) the given one. */
export function addWeeks(isoWeek: string, n: number): string {
  const monday = new Date(`${mondayOfIsoWeek(isoWeek)}T00:00:00Z`);
  monday.setUTCDate(monday.getUTCDate() + 7 * n);
  return formatIsoWeek(isoWeekOfCalendarDate(monday.getUTCFullYear(), monday.getUTCMonth() + 1, monday.getUTCDate()));
}
