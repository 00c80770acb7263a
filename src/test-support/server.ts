/** A real server app on a temporary SQLite file and data directory, for inject() tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../server/app.ts';
import type { AppContext } from '../server/context.ts';
import { openSqlite } from '../server/db/connect.ts';
import { LocalFileStorage } from '../server/files/file-storage.ts';
import { DEMO_ACCOUNTS, ensureDemo } from '../server/seed/demo.ts';

export interface TestServer {
  app: FastifyInstance;
  ctx: AppContext;
  dir: string;
  /** A bearer token for a demo account. */
  signIn(username: string): Promise<string>;
  close(): Promise<void>;
}

/** Starts an app on a fresh temporary data directory with the demo seeded at `now`. */
export async function startTestServer(now = new Date('2026-11-25T09:00:00Z')): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'cartable-test-'));
  const db = await openSqlite(join(dir, 'cartable.sqlite'));
  const ctx: AppContext = { db, storage: new LocalFileStorage(join(dir, 'files')), now: () => now };
  await ensureDemo(db, ctx.storage, now);
  const app = await buildApp(ctx);
  return {
    app,
    ctx,
    dir,
    async signIn(username) {
      const secret = DEMO_ACCOUNTS.find((a) => a.username === username)?.secret ?? 'unknown';
      const res = await app.inject({ method: 'POST', url: '/api/auth/sign-in', payload: { username, secret } });
      if (res.statusCode !== 200) throw new Error(`sign-in of ${username} answered ${res.statusCode}`);
      return res.json<{ token: string }>().token;
    },
    async close() {
      await app.close();
      await db.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
