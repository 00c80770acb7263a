/**
 * Client-side adaptive throttling (Google SRE book, "Handling Overload"), for servers that refuse without saying when
 * to come back (the drain does not count refusals that carry Retry-After: the server paces those itself). A device
 * remembers, over the last two minutes, how many requests the server answered and how many it accepted, and refuses locally, without sending,
 * with probability max(0, (requests - K * accepts) / (requests + 1)). A device that sees mostly refusals mostly stops;
 * one that sees acceptances sends freely.
 *
 * Unlike the book, requests refused on the device are not counted. The book's clients send many requests, so
 * acceptances keep arriving; a tablet holding one piece of homework would otherwise push its own probability towards 1
 * with every local refusal and send with chance about 1/(k + 2) at its k-th try: in the herd simulation that left a
 * tail of 20 minutes after a one-minute rush. Counting only the server's answers, the probability fades with them.
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
