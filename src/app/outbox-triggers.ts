/**
 * When the page drains the outbox: at start, when the network comes back, on a timer while the app is open, and when
 * the page becomes visible again. Browsers with Background Sync also drain from the service worker after the page is
 * gone (see src/sw/sw.ts). Every trigger is the same kick: the drain itself decides when work that waited through a
 * silence leaves (sync/outbox.ts, rejoining), so a school whose network returns at once does not knock at once.
 */
import type { Services } from './services.ts';

/** How often the open app checks the queue (the drain itself respects the server's backoff). */
export const OUTBOX_TIMER_MS = 30_000;

export function startOutboxTriggers(services: Services): () => void {
  const kick = () => void services.runner.kick().catch((err: unknown) => console.warn('outbox', err));
  const onVisible = () => {
    if (document.visibilityState === 'visible') kick();
  };
  kick();
  addEventListener('online', kick);
  document.addEventListener('visibilitychange', onVisible);
  const timer = setInterval(kick, OUTBOX_TIMER_MS);
  return () => {
    removeEventListener('online', kick);
    document.removeEventListener('visibilitychange', onVisible);
    clearInterval(timer);
    services.runner.stop();
  };
}
