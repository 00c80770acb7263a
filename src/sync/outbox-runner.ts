/**
 * Runs the outbox drain when something happens: app start, the `online` event, a timer while the app is open,
 * Background Sync in the worker. Every trigger is the same kick; the drain paces what waited through a silence (a
 * whole school coming back online does not knock at once: outbox.ts, rejoining). One drainer at a time (the lock);
 * when the server asked to wait, or it is not this device's time yet, it wakes itself then.
 */
import { type DrainResult, drainOutbox, type OutboxDeps } from './outbox.ts';
import type { ExclusiveLock } from './ports.ts';

export interface RunnerDeps extends OutboxDeps {
  lock: ExclusiveLock;
  /** False when the device knows it has no network: then nothing is tried and the backoff does not grow. */
  isOnline: () => boolean;
  onResult?: (result: KickResult) => void;
}

export type KickResult = DrainResult | { kind: 'offline' } | { kind: 'busy' };

export class OutboxRunner {
  private wakeAt = Number.POSITIVE_INFINITY;
  private generation = 0;

  constructor(private readonly deps: RunnerDeps) {}

  /** Drains now if nobody else is; schedules its own wake-up when it must wait. */
  async kick(): Promise<KickResult> {
    if (!this.deps.isOnline()) return this.report({ kind: 'offline' });
    const run = await this.deps.lock.tryRun(() => drainOutbox(this.deps));
    if (!run.ran) return this.report({ kind: 'busy' });
    const result = run.value;
    if (result.kind === 'waiting' || result.kind === 'backing-off') this.wakeUpAt(result.until);
    else if (result.kind === 'drained' && result.nextDueAt !== undefined) this.wakeUpAt(result.nextDueAt);
    return this.report(result);
  }

  /** Stops pending wake-ups (the page is going away, or the pupil signed out). */
  stop(): void {
    this.generation++;
    this.wakeAt = Number.POSITIVE_INFINITY;
  }

  private wakeUpAt(until: number): void {
    if (until >= this.wakeAt) return; // an earlier (or the same) wake-up is already set
    this.wakeAt = until;
    const generation = ++this.generation;
    const wait = Math.max(0, until - this.deps.clock.now());
    const wake = async () => {
      await this.deps.clock.sleep(wait);
      if (generation !== this.generation) return;
      this.wakeAt = Number.POSITIVE_INFINITY;
      await this.kick();
    };
    // A failing drain is reported by the next trigger (timer, start, online): nothing to do with it here.
    wake().catch(() => undefined);
  }

  private report(result: KickResult): KickResult {
    this.deps.onResult?.(result);
    return result;
  }
}
