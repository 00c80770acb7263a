/**
 * The peak hours this server has announced, per school (with its time zone), as the sync-policy route answered them
 * (configured with SEND_PEAKS or learnt). During a peak, devices hold back part of their new work and send it in the
 * spread after the peak, at about the server's capacity; a client refused during the peak must not come back into
 * that window, so admission gives it a slot after it (`heldBackUntil`).
 */
import type { SendPeak } from '../protocol/schemas.ts';
import { peakAt } from '../protocol/send-peaks.ts';

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
      const found = peakAt(now, peaks, timeZone);
      if (found) until = Math.max(until, found.endsAt + found.peak.spreadSeconds * 1000);
    }
    return until;
  }
}
