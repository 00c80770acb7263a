/**
 * An adaptive concurrency limit for the server's expensive work, after TCP Vegas as Netflix's concurrency-limits
 * applies it to servers (VegasLimit): the server learns how many writes it can run at once from their latency, instead
 * of a number typed by an administrator.
 *
 * Each window of samples gives an average latency (rtt); the lowest window average is the latency with no queue
 * (noLoad), measured again by one window at the minimum concurrency when it has not been seen for 10 s (as BBR probes
 * its minimum round trip), or a queue that lasts would pass for the base latency and the limit would drift up. By Little's law, limit × (1 − noLoad / rtt) requests are waiting inside the server (for the CPU,
 * the database, the disk) rather than being worked on. Fewer than alpha waiting: the server has room, the limit grows
 * by log10(limit) (only while the limit is actually used, so an idle night does not inflate it). More than beta:
 * the limit gives back half of the excess at once, so a drop in capacity (a slower disk, a busy database) is followed
 * within a few windows. Between the two it holds, which bounds the oscillation.
 *
 * Pure: time is a function, so the tests drive it with a fake server on a fake clock.
 */

export interface LimitOptions {
  /** The limit before anything was measured. */
  initial: number;
  /** Never below: enough concurrent writes for the group commit to batch; also the limit while probing. */
  min: number;
  /** Never above: the administrator's ceiling (MAX_CONCURRENT_WRITES). */
  max: number;
  /** Samples per window (at least). */
  windowSamples?: number;
  /** Window length (at least), ms. */
  windowMs?: number;
  /** How long a no-load latency is trusted without being seen again before it is probed, ms. */
  noLoadTtlMs?: number;
}

export class VegasLimit {
  private value: number;
  private readonly windowSamples: number;
  private readonly windowMs: number;
  private readonly noLoadTtlMs: number;
  private sum = 0;
  private count = 0;
  private peakInFlight = 0;
  private windowStart: number | undefined;
  private noLoad: number | undefined;
  private noLoadAt = 0;
  private probe = false;

  constructor(
    private readonly options: LimitOptions,
    private readonly now: () => number,
  ) {
    this.value = clamp(options.initial, options.min, options.max);
    this.windowSamples = options.windowSamples ?? 16;
    this.windowMs = options.windowMs ?? 100;
    this.noLoadTtlMs = options.noLoadTtlMs ?? 10_000;
  }

  /** The current limit, a whole number of requests (the minimum while probing the no-load latency). */
  get limit(): number {
    return Math.floor(this.probe ? Math.min(this.value, this.options.min) : this.value);
  }

  /** True during the one window that measures the no-load latency again at the minimum concurrency. */
  get probing(): boolean {
    return this.probe;
  }

  /** The latency with no queue, as learnt (ms); undefined before the first window. */
  get noLoadMs(): number | undefined {
    return this.noLoad;
  }

  /** One request finished after `rttMs` in its slot, with `inFlight` requests in their slots when it started. */
  sample(rttMs: number, inFlight: number): void {
    if (!Number.isFinite(rttMs) || rttMs < 0) return;
    // While probing, only requests that started at the probe's concurrency say what no load costs.
    if (this.probe && inFlight > this.limit) return;
    const now = this.now();
    this.windowStart ??= now;
    this.sum += rttMs;
    this.count++;
    this.peakInFlight = Math.max(this.peakInFlight, inFlight);
    if (this.count < this.windowSamples || now - this.windowStart < this.windowMs) return;
    this.update(this.sum / this.count, this.peakInFlight, now);
    this.sum = 0;
    this.count = 0;
    this.peakInFlight = 0;
    this.windowStart = now;
  }

  private update(rtt: number, inFlight: number, now: number): void {
    if (this.probe) {
      // A window at the minimum concurrency: its latency is the no-load latency now (BBR's ProbeRTT).
      this.probe = false;
      this.noLoad = rtt;
      this.noLoadAt = now;
      return;
    }
    if (this.noLoad === undefined || rtt <= this.noLoad) {
      this.noLoad = rtt;
      this.noLoadAt = now;
    } else if (now - this.noLoadAt > this.noLoadTtlMs) {
      // Not seen for a while: a queue that lasts would pass for the base latency, and the limit would drift up
      // with it. One window at the minimum measures it again.
      this.probe = true;
      return;
    }
    const noLoad = Math.max(0.01, this.noLoad);
    const queued = this.value * (1 - noLoad / Math.max(rtt, noLoad));
    const step = Math.max(1, Math.log10(this.value));
    const alpha = 3 * step;
    const beta = 6 * step;
    if (queued < alpha) {
      // Grow only a limit that is used: an app-limited server learns nothing about its room.
      if (2 * inFlight >= this.value) this.value += step;
    } else if (queued > beta) {
      this.value -= Math.max(step, (queued - beta) / 2);
    }
    this.value = clamp(this.value, this.options.min, this.options.max);
  }
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
