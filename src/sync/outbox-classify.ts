/** What an HTTP answer means for a queued item: pure, so the policy is tested apart from the loop. */

export type Verdict = 'ok' | 'retry' | 'auth' | 'conflict' | 'refuse';

/**
 * Network errors, timeouts (408), rate limiting (429) and server errors (5xx) are the server's trouble: retry later.
 * 401 waits for the pupil to sign in again. 409 is a conflict the server kept. Any other 4xx is final: refused.
 */
export function classify(status: number): Verdict {
  if (status >= 200 && status < 300) return 'ok';
  if (status === 401) return 'auth';
  if (status === 409) return 'conflict';
  if (status === 408 || status === 429 || status >= 500) return 'retry';
  return 'refuse';
}
