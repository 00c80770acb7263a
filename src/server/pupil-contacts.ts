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
  /** Epoch ms: made an ISO string only when written (a 304 pays no formatting). */
  at: number;
}

interface DeviceReport {
  schoolId: string;
  deviceId: string;
  queued: number;
  weeks: Record<string, number>;
  at: number;
}

export class PupilContacts {
  private pending = new Map<string, Contact>();
  private devices = new Map<string, DeviceReport>();
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

  /** A pupil's device holds `version` of the week, as of `at` (epoch ms). */
  saw(userId: string, classId: string, week: string, version: number, at: number): void {
    const key = `${userId}\u0001${classId}\u0001${week}`;
    const known = this.pending.get(key);
    if (known && known.version >= version && known.at >= at) return;
    this.pending.set(key, { userId, classId, week, version: Math.max(version, known?.version ?? 0), at });
  }

  /** A shared tablet of `schoolId` checked a week: its queue's count and the version it holds. */
  sawDevice(
    schoolId: string,
    deviceId: string,
    queued: number,
    classId: string,
    week: string,
    version: number,
    at: number,
  ) {
    const key = `${schoolId}\u0001${deviceId}`;
    const known = this.devices.get(key);
    const weeks = { ...known?.weeks, [`${classId}/${week}`]: version };
    this.devices.set(key, { schoolId, deviceId, queued, weeks, at });
  }

  /** Writes what is pending (after any write already under way). */
  flush(): Promise<void> {
    const batch = [...this.pending.values()];
    const devices = [...this.devices.values()];
    this.pending = new Map();
    this.devices = new Map();
    const write = this.writing.then(() => this.write(batch)).then(() => this.writeDevices(devices));
    this.writing = write.catch(() => undefined);
    return write;
  }

  private async write(batch: Contact[]): Promise<void> {
    if (batch.length === 0) return;
    await this.db.transaction().execute(async (tx) => {
      for (const c of batch)
        await tx
          .insertInto('pupil_weeks')
          .values({
            user_id: c.userId,
            class_id: c.classId,
            week: c.week,
            version: c.version,
            last_contact_at: new Date(c.at).toISOString(),
          })
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

  private async writeDevices(batch: DeviceReport[]): Promise<void> {
    if (batch.length === 0) return;
    await this.db.transaction().execute(async (tx) => {
      for (const d of batch) {
        // The weeks it reported before (other classes, older weeks still kept) stay: merged, newest wins.
        const before = await tx
          .selectFrom('device_reports')
          .select('weeks')
          .where('school_id', '=', d.schoolId)
          .where('device_id', '=', d.deviceId)
          .executeTakeFirst();
        const at = new Date(d.at).toISOString();
        const weeks = JSON.stringify({
          ...(before ? (JSON.parse(before.weeks) as Record<string, number>) : {}),
          ...d.weeks,
        });
        await tx
          .insertInto('device_reports')
          .values({ school_id: d.schoolId, device_id: d.deviceId, queued: d.queued, weeks, last_contact_at: at })
          .onConflict((oc) =>
            oc.columns(['school_id', 'device_id']).doUpdateSet({ queued: d.queued, weeks, last_contact_at: at }),
          )
          .execute();
      }
    });
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush().catch(() => undefined);
  }
}
