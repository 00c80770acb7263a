/** Retry delays as small pure functions (the policy), apart from the loop that waits (the mechanism). */

/** Bounds of the exponential envelope, in milliseconds. */
export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
}

/** Cartable's default: 2 s doubling up to 15 minutes (a longer cap leaves homework waiting long after a recovery). */
export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 2_000, capMs: 15 * 60_000 };

/** The envelope min(cap, base * 2^attempt) for attempt 0, 1, 2, … */
export function backoffCeiling(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  const exponent = Math.min(Math.max(0, Math.floor(attempt)), 52);
  return Math.min(policy.capMs, policy.baseMs * 2 ** exponent);
}

/**
 * Parses an HTTP Retry-After header (delta-seconds or an HTTP date) into milliseconds from `nowMs`.
 * Returns undefined when absent or unreadable, and never a negative number.
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

/**
 * Never sooner than the server asked (Retry-After), with full jitter (AWS architecture blog, "Exponential Backoff And
 * Jitter": uniform in [0, ceiling)) on top so refused clients do not come back in the same second; with no
 * Retry-After, the full jitter alone. `random` must return a number in [0, 1). Cartable's server already draws its Retry-After at random over its spread; only when an answer
 * has a spread but no Retry-After does the jitter cover the spread itself.
 */
export function delayAfterRejection(
  attempt: number,
  retryAfterMs: number | undefined,
  random: () => number,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
  spreadMs?: number,
): number {
  const ceiling =
    retryAfterMs === undefined
      ? Math.max(backoffCeiling(attempt, policy), spreadMs ?? 0)
      : backoffCeiling(attempt, policy);
  const jitter = Math.floor(random() * ceiling);
  return retryAfterMs === undefined ? jitter : retryAfterMs + jitter;
}

/**
 * The next attempt on a device's own grid: the first time after `nowMs + minGapMs` that falls on
 * phase × period + k × period. Devices with phases spread over [0, 1) come back evenly over one period.
 */
export function nextGridTime(nowMs: number, periodMs: number, phase: number, minGapMs = 1000): number {
  const offset = phase * periodMs;
  const earliest = nowMs + minGapMs;
  const k = Math.ceil((earliest - offset) / periodMs);
  return offset + k * periodMs;
}
