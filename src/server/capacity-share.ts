/**
 * Instances on one database share what they measured (capacity-meter.ts): each rewrites its own row every few
 * seconds and reads the others', so the recovery period and the learnt peaks are the deployment's, not one
 * instance's. Through the database rather than Redis: it is the one thing every deployment has, SQLite included.
 */
import { SATURATED_TRUSTED_MS } from './capacity-meter.ts';
import type { Db } from './db/schema.ts';

/** A report older than this is an instance that stopped (or cannot reach the database): not counted. */
export const REPORT_FRESH_MS = 60_000;
/** Rows of instances gone for longer than a saturated figure is trusted are deleted. */
const FORGET_AFTER_MS = SATURATED_TRUSTED_MS;

/** What the sharing needs of this instance's meter. */
export interface OwnCapacity {
  writesPerSecond(): number;
  saturated(): { writesPerSecond: number; at: number } | undefined;
  restore(kept: { writesPerSecond: number; at: number }): void;
}

export class SharedCapacity {
  private others = 0;
  private peers = 0;
  private refreshing: Promise<void> | undefined;

  constructor(
    private readonly db: Db,
    readonly instanceId: string,
    /** The server's clock (epoch ms). */
    private readonly now: () => number,
    private readonly own: OwnCapacity,
  ) {}
  private restored = false;

  /** The deployment's writes/s: this instance's figure now, and the others' last reports. */
  deployment(): { writesPerSecond: number; instances: number } {
    return { writesPerSecond: this.own.writesPerSecond() + this.others, instances: 1 + this.peers };
  }

  /** Reports this instance's figure and reads the others'; one at a time, errors kept out (the next one retries). */
  refresh(): Promise<void> {
    this.refreshing ??= this.exchange()
      .catch(() => undefined)
      .finally(() => {
        this.refreshing = undefined;
      });
    return this.refreshing;
  }

  /**
   * Marks this instance's report stale (it is closing): the deployment's figure drops at once, not a minute later,
   * and the saturated figure stays for the instance's next start.
   */
  async leave(): Promise<void> {
    await this.refreshing;
    await this.db
      .updateTable('capacity_reports')
      .set({ reported_at: this.now() - REPORT_FRESH_MS - 1 })
      .where('instance_id', '=', this.instanceId)
      .execute()
      .catch(() => undefined);
  }

  private async exchange(): Promise<void> {
    const at = this.now();
    const starting = !this.restored;
    if (starting) {
      // The figure this instance measured saturated before it restarted, if recent.
      const kept = await this.db
        .selectFrom('capacity_reports')
        .select(['saturated_per_second', 'saturated_at'])
        .where('instance_id', '=', this.instanceId)
        .executeTakeFirst();
      if (typeof kept?.saturated_per_second === 'number' && kept.saturated_at !== null) {
        const keptAt = Number(kept.saturated_at);
        if (at - keptAt <= SATURATED_TRUSTED_MS)
          this.own.restore({ writesPerSecond: kept.saturated_per_second, at: keptAt });
      }
      this.restored = true;
    }
    const saturated = this.own.saturated();
    const mine = {
      writes_per_second: this.own.writesPerSecond(),
      reported_at: at,
      saturated_per_second: saturated?.writesPerSecond ?? null,
      saturated_at: saturated?.at ?? null,
    };
    await this.db
      .insertInto('capacity_reports')
      .values({ instance_id: this.instanceId, ...mine })
      .onConflict((oc) => oc.column('instance_id').doUpdateSet(mine))
      .execute();
    const rows = await this.db
      .selectFrom('capacity_reports')
      .select(['instance_id', 'writes_per_second'])
      .where('reported_at', '>=', at - REPORT_FRESH_MS)
      .where('instance_id', '<>', this.instanceId)
      .execute();
    this.others = rows.reduce((sum, r) => sum + r.writes_per_second, 0);
    this.peers = rows.length;
    // Once per start, not every few seconds: the rows of long-gone instances are ignored meanwhile anyway.
    if (starting)
      await this.db
        .deleteFrom('capacity_reports')
        .where('reported_at', '<', at - FORGET_AFTER_MS)
        .execute();
  }
}
