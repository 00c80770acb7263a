/** What every route plugin receives: the database, the file storage and the clock. */
import type { HomeworkLimits } from '../protocol/homework-files.ts';
import type { CapacityStatus } from '../protocol/schemas.ts';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { SecretChecks } from './admission.ts';
import type { UserRow } from './db/queries.ts';
import type { Db } from './db/schema.ts';
import type { FileStorage } from './files/file-storage.ts';
import type { HotCaches } from './hot-cache.ts';
import type { PeakCalendar } from './peak-calendar.ts';
import type { PupilContacts } from './pupil-contacts.ts';
import type { RateLimiter } from './rate-limit.ts';
import type { OffPeakWindow } from './routes/sync.ts';

export interface AppContext {
  db: Db;
  storage: FileStorage;
  /** The server's time; injected so tests can publish in the past and the future. */
  now: () => Date;
  /** Rate-limit counters: per process, or shared through Redis by every instance. */
  limiter: RateLimiter;
  /** In-process caches of sessions, class memberships and current weeks (hot-cache.ts); buildApp makes them. */
  hot?: HotCaches;
  /** The schools' off-peak prefetch window (GET /api/sync-policy); 19:00-07:00 every day when unset. */
  offPeak?: OffPeakWindow;
  /** What one piece of homework may carry; HOMEWORK_LIMITS when unset. */
  homework?: HomeworkLimits;
  /** SERVER_CAPACITY: the capacity until the server has measured itself (see `capacity`). */
  capacityPerSecond?: number;
  /** What the server measured it can take, and the deployment with it (capacity-share.ts); buildApp sets it. */
  capacity?: () => CapacityStatus;
  /** The peaks announced to each school; buildApp makes it (peak-calendar.ts). */
  peaks?: PeakCalendar;
  /** True while this instance's write or sign-in gate is saturated (admission.ts); buildApp sets it. */
  overloaded?: () => boolean;
  /** What pupils' devices hold, learnt from their manifest requests (pupil-contacts.ts); buildApp makes it. */
  contacts?: PupilContacts;
  /** The budget of secret checks for sign-ins (admission.ts); buildApp sets it. */
  secretChecks?: SecretChecks;
}

/** A route plugin: typed by its TypeBox schemas, given the app's context. */
export type RoutePlugin = FastifyPluginAsyncTypebox<{ ctx: AppContext }>;

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in user, set by the `authenticate` pre-handler. */
    user?: UserRow;
  }
}
