/** A real server app on a fresh database (SQLite file or PostgreSQL schema) and data directory, for inject() tests. */
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { type BuildOptions, buildApp } from '../server/app.ts';
import type { AppContext } from '../server/context.ts';
import { LocalFileStorage } from '../server/files/file-storage.ts';
import { HotCaches } from '../server/hot-cache.ts';
import { PupilContacts } from '../server/pupil-contacts.ts';
import { MemoryRateLimiter } from '../server/rate-limit.ts';
import { DEMO_ACCOUNTS, ensureDemo } from '../server/seed/demo.ts';
import { createTestDatabase } from './test-database.ts';

export interface TestServer {
  app: FastifyInstance;
  ctx: AppContext;
  dir: string;
  /** Moves the server's clock (rate-limit windows follow it). */
  setNow(date: Date): void;
  /** A bearer token for a demo account. */
  signIn(username: string): Promise<string>;
  close(): Promise<void>;
}

/** Starts an app on a fresh database with the demo seeded at `now`. */
export async function startTestServer(
  now = new Date('2026-11-25T09:00:00Z'),
  options: BuildOptions = {},
): Promise<TestServer> {
  const database = await createTestDatabase();
  const db = await database.open();
  let current = now;
  const ctx: AppContext = {
    db,
    storage: new LocalFileStorage(join(database.dir, 'files')),
    now: () => current,
    limiter: new MemoryRateLimiter(() => current.getTime()),
    // Made here rather than by buildApp so a test that writes to the database behind the app's back can clear them.
    hot: new HotCaches(),
    // Written when a test (or the readiness route, or close) flushes it, never on a timer mid-test.
    contacts: new PupilContacts(db, 0),
  };
  await ensureDemo(db, ctx.storage, now);
  // The event-loop shedder and the budget of secret checks are off unless a test asks for them: a busy machine, or a
  // test that signs in often, must not be refused (admission.test.ts drives shedding deterministically).
  // The capacity meter and its sharing are off too (the configured figure stands), so that the figures the tests
  // assert do not depend on how fast the machine is; capacity.test.ts drives them with samples it chooses.
  const app = await buildApp(ctx, {
    shareCapacityMs: 0,
    ...options,
    admission: { maxEventLoopDelayMs: 0, maxSignInsPerSecond: 0, capacitySampleMs: 0, ...options.admission },
  });
  return {
    app,
    ctx,
    dir: database.dir,
    setNow(date) {
      current = date;
    },
    async signIn(username) {
      const secret = DEMO_ACCOUNTS.find((a) => a.username === username)?.secret ?? 'unknown';
      const res = await app.inject({ method: 'POST', url: '/api/auth/sign-in', payload: { username, secret } });
      if (res.statusCode !== 200) throw new Error(`sign-in of ${username} answered ${res.statusCode}`);
      return res.json<{ token: string }>().token;
    },
    async close() {
      await app.close();
      await db.destroy();
      await database.dispose();
    },
  };
}
