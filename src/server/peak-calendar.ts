/**
 * The peak hours this server has announced, per school (with its time zone), as the sync-policy route answered them
 * (configured with SEND_PEAKS or learnt). During a peak, devices hold back part of their new work and send it in the
 * spread after the peak, at about the server's capacity; a client refused during the peak must not come back into
 * that window, so admission gives it a slot after it (`heldBackUntil`).
 */
import type { SendPeak } from '../protocol/schemas.ts';

const localFormat = new Map<string, Intl.DateTimeFormat>();

/** The school-local ISO weekday and minute of the day of an instant. */
function localMinute(epochMs: number, timeZone: string): { weekday: number; minute: number } {
  let f = localFormat.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hourCycle: 'h23',
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
    });
    localFormat.set(timeZone, f);
  }
  const p: Record<string, string> = {};
  for (const part of f.formatToParts(epochMs)) p[part.type] = part.value;
  const weekday = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(p.weekday ?? '') + 1;
  return { weekday, minute: Number(p.hour) * 60 + Number(p.minute) };
}

const minutesOf = (hhmm: string) => {
  const [h, m] = hhmm.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
};

export class PeakCalendar {
  private readonly schools = new Map<string, { timeZone: string; peaks: SendPeak[] }>();

  /** What the sync policy announced to one school. */
  announce(schoolId: string, timeZone: string, peaks: SendPeak[]): void {
    if (peaks.length === 0) this.schools.delete(schoolId);
    else this.schools.set(schoolId, { timeZone, peaks });
  }

  /** The end of the held-back window of every peak in progress at `now` (the latest of them), or 0. */
  heldBackUntil(now: number): number {
    let until = 0;
    for (const { timeZone, peaks } of this.schools.values()) {
      const local = localMinute(now, timeZone);
      for (const peak of peaks) {
        const end = minutesOf(peak.end);
        if (!peak.days.includes(local.weekday) || local.minute < minutesOf(peak.start) || local.minute >= end) continue;
        const startOfMinute = now - (now % 60_000);
        until = Math.max(until, startOfMinute + (end - local.minute) * 60_000 + peak.spreadSeconds * 1000);
      }
    }
    return until;
  }
}
