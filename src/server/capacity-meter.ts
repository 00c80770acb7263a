/**
 * How many writes per second this server can sustain, measured from what it does instead of typed by an
 * administrator (SERVER_CAPACITY is only the figure used until a measurement exists).
 *
 * The server samples itself once a second: writes completed, the time its event loop was busy (Node's
 * eventLoopUtilization), and whether demand exceeded what it could take (writes waiting for a slot).
 * - A saturated second measures capacity directly: what was completed is what it can do. Those seconds win.
 * - Otherwise each write is charged the loop's busy time of the seconds it ran in, all of it (reads, timers and the
 *   collector included): 1000 / (busy ms per write) is what a fully busy loop would complete. That is a lower bound,
 *   and a loose one: at low load a write pays alone for its disk flush, its wake-ups and the loop's idle work, which
 *   the group commit and a busy loop share between many writes at high load (bench:capacity: a tenth of the saturated
 *   figure on SQLite); it also misses work done off the loop (a remote database, the thread pool), which errs high.
 *   bench:herd simulates both cases with the errors bench:capacity measured.
 * - The saturated figure outlives a restart: the server keeps it with its report (capacity-share.ts).
 *
 * Pure: the samples are given, so the tests and the herd simulation feed it the same way the server does.
 */

export interface CapacitySample {
  /** The sample's length, ms. */
  intervalMs: number;
  /** Writes that finished in it. */
  completed: number;
  /** The event loop's busy time in it, ms. */
  busyMs: number;
  /** Whether writes waited for a slot in it (demand above what the server takes). */
  saturated: boolean;
  /** When the sample ended (epoch ms). */
  at: number;
}

export type CapacitySource = 'configured' | 'projected' | 'saturated';

export interface CapacityReading {
  /** Sustainable writes per second, after the ceiling. */
  writesPerSecond: number;
  /** Where the figure comes from: the configured prior, the busy-time projection, or saturated seconds. */
  source: CapacitySource;
}

/**
 * Saturated seconds stay the estimate for a week (a machine's capacity changes with its hardware, its database and its
 * software, rarely from one day to the next; a drop shows at the next saturated second); then the projection takes
 * over.
 */
export const SATURATED_TRUSTED_MS = 7 * 24 * 3600_000;
/** Seconds with fewer writes tell little about a write's cost (the loop's idle overhead dominates). */
const MIN_WRITES_PER_SAMPLE = 2;
/** Writes it takes for the projection to move most of the way to a new cost. */
const COST_MEMORY_WRITES = 2000;

export class CapacityMeter {
  private costMs: number | undefined;
  private saturatedRate: number | undefined;
  private saturatedAt = Number.NEGATIVE_INFINITY;

  constructor(
    /** The figure until something is measured (SERVER_CAPACITY, default 100). */
    private readonly prior: number,
    /** Never above (SERVER_CAPACITY_CEILING); Infinity for none. */
    private readonly ceiling = Number.POSITIVE_INFINITY,
  ) {}

  add(sample: CapacitySample): void {
    if (sample.intervalMs <= 0) return;
    if (sample.saturated && sample.completed > 0) {
      const rate = (sample.completed * 1000) / sample.intervalMs;
      // Quick to follow: five saturated seconds move it most of the way.
      this.saturatedRate = this.saturatedRate === undefined ? rate : this.saturatedRate * 0.7 + rate * 0.3;
      this.saturatedAt = sample.at;
    }
    if (sample.completed >= MIN_WRITES_PER_SAMPLE) {
      const cost = Math.max(0.001, sample.busyMs / sample.completed);
      const weight = Math.min(1, sample.completed / COST_MEMORY_WRITES);
      this.costMs = this.costMs === undefined ? cost : this.costMs * (1 - weight) + cost * weight;
    }
  }

  /** The last saturated figure and when it was measured, to keep across a restart. */
  saturated(): { writesPerSecond: number; at: number } | undefined {
    return this.saturatedRate === undefined ? undefined : { writesPerSecond: this.saturatedRate, at: this.saturatedAt };
  }

  /** A saturated figure kept from before a restart; ignored when one was measured since. */
  restore(kept: { writesPerSecond: number; at: number }): void {
    if (this.saturatedRate !== undefined && this.saturatedAt >= kept.at) return;
    if (!(kept.writesPerSecond > 0)) return;
    this.saturatedRate = kept.writesPerSecond;
    this.saturatedAt = kept.at;
  }

  reading(now: number): CapacityReading {
    const capped = (writesPerSecond: number, source: CapacitySource): CapacityReading => ({
      writesPerSecond: Math.max(0.001, Math.min(this.ceiling, writesPerSecond)),
      source,
    });
    if (this.saturatedRate !== undefined && now - this.saturatedAt <= SATURATED_TRUSTED_MS)
      return capped(this.saturatedRate, 'saturated');
    if (this.costMs !== undefined) return capped(1000 / this.costMs, 'projected');
    return capped(this.prior, 'configured');
  }
}
