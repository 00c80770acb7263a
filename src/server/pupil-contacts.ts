/**
 * What the server learns about pupils' devices from requests they already make, for "Qui est prêt ?": each manifest
 * request of a pupil (a 200, or a 304 on the current ETag, in the route or the fast path before Fastify) says which
 * version of the week a device of theirs holds, and when one last reached the server. Kept in memory and written
 * in one transaction every few seconds (a class of 30 revalidating costs no write per request); the readiness route
 * writes what is pending before it reads.
 */
import type { Db } from './db/schema.ts';

interface Contact {
  userId: string;
  classId: string;
  week: string;
  version: number;
  at: string;
}

export class PupilContacts {
  private pending = new Map<string, Contact>();
  private writing: Promise<void> = Promise.resolve();
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly db: Db,
    /** How often pending contacts are written; 0: only on flush(). */
    everyMs = 5_000,
  ) {
    if (everyMs > 0) {
      this.timer = setInterval(() => void this.flush().catch(() => undefined), everyMs);
      this.timer.unref();
    }
  }

  /** A pupil's device holds `version` of the week, as of `at` (ISO). */
  saw(userId: string, classId: string, week: string, version: number, at: string): void {
    const key = `${userId}\u0001${classId}\u0001${week}`;
    const known = this.pending.get(key);
    if (known && known.version >= version && known.at >= at) return;
    this.pending.set(key, { userId, classId, week, version: Math.max(version, known?.version ?? 0), at });
  }

  /** Writes what is pending (after any write already under way). */
  flush(): Promise<void> {
    const batch = [...this.pending.values()];
    this.pending = new Map();
    const write = this.writing.then(() => this.write(batch));
    this.writing = write.catch(() => undefined);
    return write;
  }

  private async write(batch: Contact[]): Promise<void> {
    if (batch.length === 0) return;
    await this.db.transaction().execute(async (tx) => {
      for (const c of batch)
        await tx
          .insertInto('pupil_weeks')
          .values({ user_id: c.userId, class_id: c.classId, week: c.week, version: c.version, last_contact_at: c.at })
          .onConflict((oc) =>
            oc
              .columns(['user_id', 'class_id', 'week'])
              .doUpdateSet((eb) => ({
                version: eb.ref('excluded.version'),
                last_contact_at: eb.ref('excluded.last_contact_at'),
              }))
              // Never backwards: another instance may already have written a newer version.
              .where((eb) => eb('pupil_weeks.version', '<=', eb.ref('excluded.version'))),
          )
          .execute();
    });
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush().catch(() => undefined);
  }
}
