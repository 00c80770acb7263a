/**
 * Client-side adaptive throttling (Google SRE book, "Handling Overload"): a device remembers, over the last two
 * minutes, how many requests it made and how many the server accepted, and refuses locally, without sending, with
 * probability max(0, (requests - K * accepts) / (requests + 1)). A device that sees mostly refusals mostly stops;
 * one that sees acceptances sends freely. Locally refused attempts count as requests, so the ratio keeps adapting.
 */
import type { Clock } from './ports.ts';

export class AdaptiveThrottle {
  private readonly events: { at: number; accepted: boolean }[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly k = 2,
    private readonly windowMs = 120_000,
  ) {}

  private prune(): void {
    const since = this.clock.now() - this.windowMs;
    while (this.events.length && (this.events[0]?.at ?? 0) < since) this.events.shift();
  }

  /** The probability that the next request should be refused on the device. */
  rejectProbability(): number {
    this.prune();
    const requests = this.events.length;
    const accepts = this.events.filter((e) => e.accepted).length;
    return Math.max(0, (requests - this.k * accepts) / (requests + 1));
  }

  /** Records a request: accepted by the server, or refused (by the server, by the network, or locally). */
  record(accepted: boolean): void {
    this.events.push({ at: this.clock.now(), accepted });
  }
}
