/**
 * The worker's side of the outbox and of prefetch. Outbox: on a Background Sync event, drain with the same core, the same stores and the
 * same lock as the page. If homework is still waiting afterwards, the promise rejects so the browser tries again
 * later; the persisted backoff still decides when anything is actually sent.
 */
import { openCartableDb } from '../storage/db.ts';
import { createOutboxRunner } from '../storage/outbox-wiring.ts';
import { runPrefetch } from '../storage/prefetch-wiring.ts';

export async function drainFromWorker(): Promise<void> {
  const db = await openCartableDb();
  const runner = createOutboxRunner(db, () => navigator.onLine);
  try {
    const result = await runner.kick();
    if (result.kind === 'waiting' || result.kind === 'backing-off' || result.kind === 'offline') {
      throw new Error(`outbox not drained (${result.kind}); the browser will retry`);
    }
  } finally {
    runner.stop();
  }
}

/** On a Periodic Background Sync event: one prefetch check, if this device's slot (or a missing week) calls for it. */
export async function prefetchFromWorker(): Promise<void> {
  const db = await openCartableDb();
  const outcome = await runPrefetch(db);
  if (outcome.kind === 'failed' && outcome.reason === 'offline') throw new Error('prefetch could not reach the server');
}
