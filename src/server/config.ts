/** Settings from the environment, with the defaults a fresh clone needs. */
import { join, resolve } from 'node:path';

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  /** Where file bytes live: shared storage when several instances run. */
  filesDir: string;
  clientDir: string;
  seedDemo: boolean;
  /** PostgreSQL when set; SQLite in dataDir otherwise. */
  databaseUrl: string | undefined;
  dbPoolSize: number;
  /** Redis for rate limits shared by several instances; per-process limits otherwise. */
  redisUrl: string | undefined;
  /** Prefix of Cartable's keys in Redis, so several deployments can share one Redis. */
  redisPrefix: string;
  /** Requests per second the deployment absorbs after an outage (sets the devices' recovery period). */
  capacityPerSecond: number;
  admission: {
    maxConcurrentWrites: number;
    maxQueuedWrites: number;
    maxEventLoopDelayMs: number;
    maxHeapUsedBytes: number;
  };
}

function integer(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new Error(`${name} must be a whole number from ${min} to ${max}, not "${value}"`);
  return n;
}

/** Reads the environment; throws a readable error on a bad value. */
export function readConfig(env: NodeJS.ProcessEnv, cwd = process.cwd()): Config {
  const dataDir = resolve(cwd, env.DATA_DIR ?? 'data');
  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new Error('DATABASE_URL must be a postgres:// URL (leave it unset for the embedded SQLite database)');
  }
  return {
    port: integer('PORT', env.PORT, 8080, 0, 65535),
    host: env.HOST ?? 'localhost',
    dataDir,
    filesDir: resolve(cwd, env.FILES_DIR ?? join(dataDir, 'files')),
    clientDir: resolve(cwd, env.CLIENT_DIR ?? 'dist/client'),
    seedDemo: (env.SEED_DEMO ?? '1') !== '0',
    databaseUrl,
    dbPoolSize: integer('DB_POOL_SIZE', env.DB_POOL_SIZE, 10, 1, 500),
    redisUrl: env.REDIS_URL || undefined,
    redisPrefix: env.REDIS_PREFIX || 'cartable:rl:',
    capacityPerSecond: integer('SERVER_CAPACITY', env.SERVER_CAPACITY, 100, 1, 1_000_000),
    admission: {
      maxConcurrentWrites: integer('MAX_CONCURRENT_WRITES', env.MAX_CONCURRENT_WRITES, 32, 1, 10_000),
      maxQueuedWrites: integer('MAX_QUEUED_WRITES', env.MAX_QUEUED_WRITES, 512, 0, 1_000_000),
      maxEventLoopDelayMs: integer('MAX_EVENT_LOOP_DELAY_MS', env.MAX_EVENT_LOOP_DELAY_MS, 1000, 0, 60_000),
      maxHeapUsedBytes: integer('MAX_HEAP_USED_MB', env.MAX_HEAP_USED_MB, 0, 0, 1_000_000) * 1024 * 1024,
    },
  };
}
