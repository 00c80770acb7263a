/** The ExclusiveLock port over the Web Locks API: one outbox drainer across every tab and the service worker. */
import { InProcessLock } from '../sync/in-process-lock.ts';
import type { ExclusiveLock } from '../sync/ports.ts';

export const OUTBOX_LOCK = 'cartable-outbox';

export class WebLock implements ExclusiveLock {
  /** Browsers without Web Locks: at least one drainer per page. */
  private readonly fallback = new InProcessLock();
  constructor(private readonly name = OUTBOX_LOCK) {}

  async tryRun<T>(fn: () => Promise<T>): Promise<{ ran: true; value: T } | { ran: false }> {
    const locks: LockManager | undefined = 'locks' in navigator ? navigator.locks : undefined;
    if (!locks) return this.fallback.tryRun(fn);
    return locks.request(this.name, { ifAvailable: true }, async (lock: Lock | null) => {
      if (!lock) return { ran: false as const };
      return { ran: true as const, value: await fn() };
    });
  }
}
