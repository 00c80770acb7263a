/**
 * Peak hours learnt from the school's own history (SEND_PEAKS=auto): when, over the last days, pupils pressed
 * "Envoyer" faster than the server stores. The device's submission time is the demand (the server's receipt time is
 * capped at its capacity, so it cannot show a rush). For each minute of the school day, the mean number of
 * submissions over the school days that had any; minutes above capacity are merged into peaks, each announced with
 * the share the server takes as it comes (sized for the peak's busiest minute) and the spread for the rest
 * (peakShares, as an operator sizing one by hand).
 */
import { sql } from 'kysely';
import type { SendPeak } from '../protocol/schemas.ts';
import { peakShares } from '../protocol/send-peaks.ts';
import { isoWeekday, wallClock } from '../protocol/zoned-time.ts';
import type { Db } from './db/schema.ts';

const DAYS_LOOKED_AT = 7;

const hhmm = (minute: number) =>
  `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;

/** The peaks of one school over the last days, at `capacityPerSecond`; none when its demand never exceeded it. */
export async function forecastPeaks(
  db: Db,
  school: { id: string; timeZone: string },
  capacityPerSecond: number,
  days: number[],
  now: Date,
): Promise<SendPeak[]> {
  const since = new Date(now.getTime() - DAYS_LOOKED_AT * 86_400_000).toISOString();
  // Counted per UTC minute in the database (at most a week of minutes come back), placed in local time here;
  // PostgreSQL answers counts as strings.
  const minuteOf = sql<string>`substr(submissions.submitted_at, 1, 16)`;
  const rows = await db
    .selectFrom('submissions')
    .innerJoin('classes', 'classes.id', 'submissions.class_id')
    .select([minuteOf.as('minute'), (eb) => eb.fn.countAll<number | string | bigint>().as('n')])
    .where('classes.school_id', '=', school.id)
    .where('submissions.submitted_at', '>=', since)
    .groupBy(minuteOf)
    .execute();
  return peaksFromMinutes(
    rows.map((r) => ({ minute: r.minute, n: Number(r.n) })),
    school.timeZone,
    capacityPerSecond,
    days,
  );
}

/**
 * The peaks in submissions counted per UTC minute (`minute`: "YYYY-MM-DDTHH:MM", of the device's submission time),
 * at `capacityPerSecond`, on the school's `days` in its time zone. Pure: bench:herd learns its day-2 peaks with it from
 * the simulated day 1.
 */
export function peaksFromMinutes(
  rows: { minute: string; n: number }[],
  timeZone: string,
  capacityPerSecond: number,
  days: number[],
): SendPeak[] {
  const perMinute = new Map<number, number>();
  const schoolDays = new Set<string>();
  for (const row of rows) {
    const at = Date.parse(`${row.minute}:00Z`);
    if (!Number.isFinite(at)) continue;
    const l = wallClock(at, timeZone);
    if (!days.includes(isoWeekday(l))) continue;
    schoolDays.add(`${l.year}-${l.month}-${l.day}`);
    const minute = l.hour * 60 + l.minute;
    perMinute.set(minute, (perMinute.get(minute) ?? 0) + row.n);
  }
  if (schoolDays.size === 0) return [];
  const perMinuteCapacity = capacityPerSecond * 60;
  const busy = [...perMinute.entries()]
    .map(([minute, n]) => ({ minute, mean: n / schoolDays.size }))
    .filter((m) => m.mean > perMinuteCapacity)
    .sort((a, b) => a.minute - b.minute);
  const peaks: SendPeak[] = [];
  let run: { minute: number; mean: number }[] = [];
  const close = () => {
    const first = run[0];
    const last = run.at(-1);
    if (!first || !last || last.minute + 1 >= 24 * 60) return;
    // The admitted share must fit the busiest minute; what is held back is a share of the whole peak's demand.
    const mean = run.reduce((sum, m) => sum + m.mean, 0) / (run.length * perMinuteCapacity);
    const busiest = Math.max(...run.map((m) => m.mean)) / perMinuteCapacity;
    const shares = peakShares(busiest, run.length * 60, 0.95, mean);
    peaks.push({ start: hhmm(first.minute), end: hhmm(last.minute + 1), days, ...shares });
  };
  for (const m of busy) {
    if (run.length > 0 && m.minute !== (run.at(-1)?.minute ?? -2) + 1) {
      close();
      run = [];
    }
    run.push(m);
  }
  close();
  return peaks;
}
