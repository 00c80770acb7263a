/** An ExclusiveLock within one JavaScript realm: where Web Locks are missing, and in tests and simulations. */
import type { ExclusiveLock } from './ports.ts';

export class InProcessLock implements ExclusiveLock {
  private held = false;
  async tryRun<T>(fn: () => Promise<T>): Promise<{ ran: true; value: T } | { ran: false }> {
    if (this.held) return { ran: false };
    this.held = true;
    try {
      return { ran: true, value: await fn() };
    } finally {
      this.held = false;
    }
  }
}
