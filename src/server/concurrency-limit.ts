/**
 * An adaptive concurrency limit for the server's expensive work: the server learns how many writes it can run at once
 * from what they achieve, instead of a number typed by an administrator.
 *
 * The rule is BBR's (Cardwell et al., 2016), applied to a server as Netflix's concurrency-limits applies TCP Vegas:
 * the limit is twice the bandwidth-delay product, 2 × (most completions per ms lately) × (latency with no queue).
 * With fewer writes in flight than that the server is idle part of the time; with more, they only wait. Vegas alone
 * (a limit that keeps the queue inside the server at 3 to 6 requests) was tried first and measured 10-30 % fewer
 * durable submissions on SQLite (bench:capacity): writes waiting for the group commit are not waste, they are the next
 * batch, and only a limit that follows throughput keeps them.
 * - Throughput is the most completions per ms over the last 2 s of windows; windows in which the limit was not used
 *   (fewer than half of it in flight) count only if they beat it, so a quiet hour keeps the limit the last rush
 *   learnt (unused slots cost nothing) and the next rush starts with it; from the minimum it doubles window by window.
 * - The no-load latency is the lowest window average among windows with at least the minimum in flight, measured
 *   again by one window at the minimum concurrency when it has not been seen for 10 s (as BBR probes its minimum
 *   round trip): a queue that lasts would otherwise pass for the base latency and the limit would drift up with it.
 * Against a fake server of K workers it settles between K and 2 K (every worker busy, latency at most twice the
 * no-load one) and follows a drop within a few windows (concurrency-limit.test.ts).
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
  /** How long the best throughput is remembered, ms. */
  throughputMemoryMs?: number;
}

/** The limit is this many bandwidth-delay products: BBR's congestion-window gain. */
const GAIN = 2;

export class AdaptiveLimit {
  private value: number;
  private readonly windowSamples: number;
  private readonly windowMs: number;
  private readonly noLoadTtlMs: number;
  private readonly throughputMemoryMs: number;
  /** Recent windows' throughput (completions per ms), oldest first. */
  private readonly throughputs: { at: number; perMs: number }[] = [];
  private sum = 0;
  private count = 0;
  /** The same, of the samples that had at least the minimum in flight. */
  private loadedSum = 0;
  private loadedCount = 0;
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
    this.throughputMemoryMs = options.throughputMemoryMs ?? 2000;
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
    if (inFlight >= this.options.min) {
      this.loadedSum += rttMs;
      this.loadedCount++;
    }
    this.peakInFlight = Math.max(this.peakInFlight, inFlight);
    if (this.count < this.windowSamples || now - this.windowStart < this.windowMs) return;
    // A window mostly at the minimum concurrency or above says what a write costs at it (see update).
    const loaded = this.loadedCount * 2 >= this.count ? this.loadedSum / this.loadedCount : undefined;
    this.update(
      this.sum / this.count,
      loaded,
      this.count / Math.max(0.001, now - this.windowStart),
      this.peakInFlight,
      now,
    );
    this.sum = 0;
    this.count = 0;
    this.loadedSum = 0;
    this.loadedCount = 0;
    this.peakInFlight = 0;
    this.windowStart = now;
  }

  private update(rtt: number, loadedRtt: number | undefined, perMs: number, inFlight: number, now: number): void {
    if (this.probe) {
      // A window at the minimum concurrency: its latency is the no-load latency now (BBR's ProbeRTT).
      this.probe = false;
      this.noLoad = loadedRtt ?? rtt;
      this.noLoadAt = now;
      return;
    }
    // The no-load latency is that of the minimum concurrency: a write alone at night is faster than the same write
    // in a batch of 16, and taking it for the base would hold the next rush's limit at the minimum until a probe.
    if (loadedRtt !== undefined && (this.noLoad === undefined || loadedRtt <= this.noLoad)) {
      this.noLoad = loadedRtt;
      this.noLoadAt = now;
    } else if (loadedRtt !== undefined && now - this.noLoadAt > this.noLoadTtlMs) {
      this.probe = true;
      return;
    }
    if (this.noLoad === undefined) return;
    const best = () => Math.max(0, ...this.throughputs.map((t) => t.perMs));
    // A window that did not use the limit says little of the server's room, unless it did better anyway.
    const used = 2 * inFlight >= this.value;
    if (used || perMs > best()) this.throughputs.push({ at: now, perMs });
    while (this.throughputs.length > 1 && (this.throughputs[0]?.at ?? now) < now - this.throughputMemoryMs)
      this.throughputs.shift();
    this.value = clamp(GAIN * best() * this.noLoad, this.options.min, this.options.max);
  }
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
