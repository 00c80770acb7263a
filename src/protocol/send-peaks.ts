/**
 * Peak hours of a server, as its sync policy announces them (fetched off-peak with the week): during a peak, new work
 * arrives faster than the server can store it, and every refusal costs it almost a third of a stored submission
 * (bench:refusal-cost). So a device does not send all of it then: work created in a peak is sent at once with the
 * peak's `admit` probability (the share the server can take), and otherwise at a random moment in the `spreadSeconds`
 * after the peak ends. The server is then busy at about its capacity during the peak and after it, and refuses little.
 * Work is safe on the device meanwhile, and the pupil is told when it will leave. Shared with the server, which learns
 * peaks (peak-forecast.ts) and keeps refused clients out of the held-back window (peak-calendar.ts).
 */
import type { SendPeak } from './schemas.ts';
import { isoWeekday, wallClock, zonedInstant } from './zoned-time.ts';

export type { SendPeak };

const minutes = (hhmm: string): number => {
  const [h, m] = hhmm.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
};

/** The end (epoch ms) of the peak that `at` falls in, with that peak; undefined outside every peak. */
export function peakAt(
  at: number,
  peaks: readonly SendPeak[] | undefined,
  timeZone: string,
): { peak: SendPeak; endsAt: number } | undefined {
  if (!peaks?.length) return undefined;
  const local = wallClock(at, timeZone);
  const weekday = isoWeekday(local);
  const now = local.hour * 60 + local.minute;
  for (const peak of peaks) {
    if (!peak.days.includes(weekday) || now < minutes(peak.start) || now >= minutes(peak.end)) continue;
    const [h, m] = peak.end.split(':').map(Number);
    return { peak, endsAt: zonedInstant(local, h ?? 0, m ?? 0, timeZone) };
  }
  return undefined;
}

/**
 * When work created at `createdAt` is first sent: `createdAt` itself, or, for work created in a peak and not drawn
 * into its admitted share, a moment in the spread after the peak. `random` is drawn twice at most.
 */
export function firstSendAt(
  createdAt: number,
  peaks: readonly SendPeak[] | undefined,
  timeZone: string,
  random: () => number,
): number {
  const found = peakAt(createdAt, peaks, timeZone);
  if (!found || random() < found.peak.admit) return createdAt;
  return found.endsAt + Math.floor(random() * found.peak.spreadSeconds * 1000);
}

/**
 * The admitted share and spread for a peak whose new work arrives at `demandPerCapacity` × the server's capacity for
 * `peakSeconds`: the server takes 1 / demand of it as it comes, and the rest after the peak at `share` of capacity.
 * When the demand is not even over the peak, `demandPerCapacity` is its busiest part (the admitted share must fit
 * there) and `meanDemandPerCapacity` its mean (what is held back is a share of all of it).
 */
export function peakShares(
  demandPerCapacity: number,
  peakSeconds: number,
  share = 0.95,
  meanDemandPerCapacity = demandPerCapacity,
): { admit: number; spreadSeconds: number } {
  const admit = Math.min(1, 1 / Math.max(demandPerCapacity, 1e-9));
  return { admit, spreadSeconds: Math.ceil(((1 - admit) * meanDemandPerCapacity * peakSeconds) / share) };
}
