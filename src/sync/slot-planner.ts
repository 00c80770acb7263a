/**
 * When a device prefetches: its own slot inside the school's off-peak window, the same all week, different from
 * its neighbours', so that a school's devices spread evenly over the night instead of knocking at 19:00 sharp.
 *
 *   fraction = frac(h(week) + seat × (√5 − 1) / 2)    (a registered device: its seat, 0, 1, 2… per school)
 *   fraction = h(deviceId, week)                      (a device that has no seat yet)
 *   slot     = windowStart + fraction × (windowEnd − windowStart), on real instants in the school's time zone
 *
 * Why seats and not only a hash: N devices hashed independently fall into the window's minutes like balls into
 * bins, and the busiest minute of a 12-hour night holds about 1.3 × the mean for 100,000 devices. Seats taken along
 * the golden-ratio sequence fill the window almost exactly evenly (≤ 1.02 × the mean, see the tests), and the
 * week's hash rotates the whole sequence so a device is not first every week. The window's length is measured in
 * real time, so a night with a daylight-saving change (23 or 25 hours) still spreads evenly.
 */
import { formatIsoWeek, isoWeekOfCalendarDate } from '../protocol/iso-week.ts';
import type { HomeworkLimits } from '../protocol/homework-files.ts';
import type { SendPeak } from '../protocol/send-peaks.ts';
import { addDays, type CalendarDate, isoWeekday, wallClock, zonedInstant } from '../protocol/zoned-time.ts';

/** The school's off-peak policy, from GET /api/sync-policy. */
export interface SyncPolicy {
  /** IANA time zone of the school. */
  timeZone: string;
  /** Local "HH:MM"; a window that ends before it starts runs over midnight (19:00 → 07:00). */
  windowStart: string;
  windowEnd: string;
  /** ISO weekdays (1 = Monday … 7 = Sunday) on which a window starts. */
  days: number[];
  /** How many weeks before the current one a device keeps. */
  keepPreviousWeeks: number;
  /** The server's peak hours (send-peaks.ts); none when absent. */
  sendPeaks?: SendPeak[];
  /** What one piece of homework may carry; the app's defaults (HOMEWORK_LIMITS) until the first fetch. */
  homework?: HomeworkLimits;
}

export const DEFAULT_POLICY: SyncPolicy = {
  timeZone: 'Europe/Paris',
  windowStart: '19:00',
  windowEnd: '07:00',
  days: [1, 2, 3, 4, 5, 6, 7],
  keepPreviousWeeks: 2,
};

const GOLDEN = (Math.sqrt(5) - 1) / 2;

/** FNV-1a, 32 bits, over the UTF-16 code units of `s`: a stable hash, the same on every device. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // A final avalanche (murmur3's fmix32) so that similar inputs land far apart.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

/** Where in the window, in [0, 1), this device checks for `week`. */
export function slotFraction(device: { id: string; seat?: number | undefined }, week: string): number {
  if (device.seat === undefined) return hash32(`${device.id}/${week}`) / 2 ** 32;
  const x = hash32(week) / 2 ** 32 + device.seat * GOLDEN;
  return x - Math.floor(x);
}

const parseHm = (hm: string): [number, number] => {
  const m = /^(\d{2}):(\d{2})$/.exec(hm);
  const h = Number(m?.[1] ?? Number.NaN);
  const min = Number(m?.[2] ?? Number.NaN);
  if (!m || h > 23 || min > 59) throw new Error(`not a time of day: "${hm}"`);
  return [h, min];
};

/** The off-peak window that starts on local date `date`, as instants, or undefined if none starts that day. */
export function windowStartingOn(policy: SyncPolicy, date: CalendarDate): { start: number; end: number } | undefined {
  if (!policy.days.includes(isoWeekday(date))) return undefined;
  const [sh, sm] = parseHm(policy.windowStart);
  const [eh, em] = parseHm(policy.windowEnd);
  const overnight = eh * 60 + em <= sh * 60 + sm;
  const start = zonedInstant(date, sh, sm, policy.timeZone);
  const end = zonedInstant(overnight ? addDays(date, 1) : date, eh, em, policy.timeZone);
  return { start, end };
}

/** Who is asking: a device id, and its seat once registered. */
export interface SlotDevice {
  id: string;
  seat?: number | undefined;
}

interface Slot {
  start: number;
  end: number;
  /** The device's own moment in this window. */
  at: number;
}

/**
 * The device's moment in the window `w` that starts on local date `date`: the week of the evening the window starts
 * (a Sunday-night window keeps its slot past midnight) rotates the device's place in the sequence.
 */
export function slotInWindow(w: { start: number; end: number }, date: CalendarDate, device: SlotDevice): number {
  const week = formatIsoWeek(isoWeekOfCalendarDate(date.year, date.month, date.day));
  return w.start + Math.floor(slotFraction(device, week) * (w.end - w.start));
}

/** The windows that start from `from` to `to` days around `at`, in order, each with the device's slot in it. */
function slotsAround(policy: SyncPolicy, device: SlotDevice, at: number, from: number, to: number): Slot[] {
  const today = wallClock(at, policy.timeZone);
  const out: Slot[] = [];
  for (let d = from; d <= to; d++) {
    const date = addDays(today, d);
    const w = windowStartingOn(policy, date);
    if (!w) continue;
    out.push({ ...w, at: slotInWindow(w, date, device) });
  }
  return out;
}

/** True when `at` falls inside an off-peak window. */
export function inWindow(policy: SyncPolicy, at: number): boolean {
  return slotsAround(policy, { id: '' }, at, -2, 1).some((w) => w.start <= at && at < w.end);
}

/** The device's first slot strictly after `after` (undefined if the policy has no window in the coming 8 days). */
export function nextSlot(policy: SyncPolicy, device: SlotDevice, after: number): number | undefined {
  return slotsAround(policy, device, after, -2, 8).find((s) => s.at > after)?.at;
}

/** The device's last slot at or before `at`, if it is within the last 8 days. */
export function previousSlot(policy: SyncPolicy, device: SlotDevice, at: number): number | undefined {
  return slotsAround(policy, device, at, -8, 1)
    .filter((s) => s.at <= at)
    .at(-1)?.at;
}
