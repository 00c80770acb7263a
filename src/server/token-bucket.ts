/** Rate budgets: admission's secret checks and the connection guard's new connections per address. */

/**
 * A token bucket on a monotonic clock: `rate` tokens a second, at most `burst` saved up. Rates are durations, so
 * it never reads the calendar clock the app is given (tests freeze that one).
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = burst;
    this.last = now();
  }

  /** Takes a token if there is one. */
  take(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** True when a take now would fail (nothing is taken). */
  empty(): boolean {
    this.refill();
    return this.tokens < 1;
  }

  /** True when the bucket holds its whole burst again (its past no longer matters). */
  full(): boolean {
    this.refill();
    return this.tokens >= this.burst;
  }

  /** Takes `n` more tokens, into debt down to -burst: later takes wait until it is paid back. */
  charge(n: number): void {
    this.refill();
    this.tokens = Math.max(-this.burst, this.tokens - n);
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.rate) / 1000);
    this.last = now;
  }
}
