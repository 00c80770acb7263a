/** Starts the Cartable server: opens the database, seeds the demo, serves the API and the PWA. */
import { hostname } from 'node:os';
import { join } from 'node:path';
import { buildApp } from './app.ts';
import { readConfig } from './config.ts';
import { commitDurability, openDatabase } from './db/connect.ts';
import { LocalFileStorage } from './files/file-storage.ts';
import { MemoryRateLimiter, RedisRateLimiter } from './rate-limit.ts';
import { DEMO_ACCOUNTS, ensureDemo } from './seed/demo.ts';

async function main(): Promise<void> {
  const config = readConfig(process.env);
  const { db, backend } = await openDatabase({
    databaseUrl: config.databaseUrl,
    sqlitePath: join(config.dataDir, 'cartable.sqlite'),
    poolSize: config.dbPoolSize,
    sqliteSynchronous: config.sqliteSynchronous,
  });
  if (config.sqliteSynchronous === 'OFF')
    console.warn(
      'ATTENTION : SQLite synchronous=OFF : un travail accusé reçu peut être perdu à une coupure de courant.',
    );
  const storage = new LocalFileStorage(config.filesDir);
  const limiter = config.redisUrl ? new RedisRateLimiter(config.redisUrl, config.redisPrefix) : new MemoryRateLimiter();
  const ctx = {
    db,
    storage,
    now: () => new Date(),
    limiter,
    offPeak: config.offPeak,
    homework: config.homework,
    capacityPerSecond: config.capacityPerSecond,
  };
  const demo = config.seedDemo ? await ensureDemo(db, storage, ctx.now()) : undefined;
  const app = await buildApp(ctx, {
    clientDir: config.clientDir,
    logger: { level: process.env.LOG_LEVEL ?? 'warn' },
    admission: config.admission,
    guard: config.guard,
    capacityPerSecond: config.capacityPerSecond,
    ...(config.capacityCeiling === undefined ? {} : { capacityCeiling: config.capacityCeiling }),
    // The same name after a restart, so the capacity it measured saturated is its own again (capacity-share.ts).
    ...(process.env.INSTANCE_ID || config.port !== 0
      ? { instanceId: process.env.INSTANCE_ID || `${hostname()}:${config.port}` }
      : {}),
    accessLog: config.accessLog,
    groupCommit: process.env.GROUP_COMMIT !== '0',
  });
  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const durability = await commitDurability(db, backend);
  const where =
    backend === 'postgres' ? `PostgreSQL (DATABASE_URL, ${durability})` : `SQLite (${durability}), ${config.dataDir}`;
  const lines = [
    `Cartable écoute sur http://${shownHost}:${port}`,
    `Base de données : ${where} · fichiers : ${config.filesDir}`,
  ];
  if (demo) {
    const ROLE_LABEL = { teacher: 'Enseignante   ', pupil: 'Élève         ', admin: 'Administration' } as const;
    lines.push(`Démo ${demo.created ? 'créée' : 'réutilisée'} — semaine ${demo.week}. Comptes de démonstration :`);
    for (const a of DEMO_ACCOUNTS) {
      lines.push(`  ${ROLE_LABEL[a.role]}  identifiant « ${a.username} »  code secret « ${a.secret} »`);
    }
  }
  console.log(lines.join('\n'));

  let closing = false;
  const stop = (signal: string) => {
    if (closing) return;
    closing = true;
    console.log(`${signal} reçu : arrêt propre…`);
    app
      .close()
      .then(() => db.destroy())
      .then(() => limiter.close())
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        console.error(err);
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  console.error('Cartable n’a pas pu démarrer :', err instanceof Error ? err.message : err);
  process.exit(1);
});
