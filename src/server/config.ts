/** Settings from the environment, with the defaults a fresh clone needs. */
import { HOMEWORK_LIMITS, type HomeworkLimits } from '../protocol/homework-files.ts';
import { join, resolve } from 'node:path';
import { DEFAULT_WINDOW, type OffPeakWindow } from './routes/sync.ts';
import type { SendPeak } from '../protocol/schemas.ts';

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
  /** FULL; OFF only for bench:power-loss (SQLITE_SYNCHRONOUS=OFF_LOSES_ACKNOWLEDGED_WORK). */
  sqliteSynchronous: 'FULL' | 'OFF';
  /** Redis for rate limits shared by several instances; per-process limits otherwise. */
  redisUrl: string | undefined;
  /** Prefix of Cartable's keys in Redis, so several deployments can share one Redis. */
  redisPrefix: string;
  /** Writes per second the server takes until it has measured itself (SERVER_CAPACITY; capacity-meter.ts). */
  capacityPerSecond: number;
  /** Never announce more writes per second than this (SERVER_CAPACITY_CEILING); undefined for no ceiling. */
  capacityCeiling: number | undefined;
  /** A file that receives one line per API request, or undefined for none. */
  accessLog: string | undefined;
  /** When devices prefetch (SYNC_WINDOW, SYNC_DAYS, KEEP_PREVIOUS_WEEKS). */
  offPeak: OffPeakWindow;
  /** What one piece of homework may carry (HOMEWORK_MAX_FILE_MB, HOMEWORK_MAX_TOTAL_MB), published to devices. */
  homework: HomeworkLimits;
  /** Per client address (connection-guard.ts): open sockets, and new ones a second (twice that saved up). */
  guard: { maxConnectionsPerAddress: number; newConnectionsPerSecond: number; newConnectionsBurst: number };
  admission: {
    maxConcurrentWrites: number;
    maxQueuedWrites: number;
    maxConcurrentSignIns: number;
    maxQueuedSignIns: number;
    maxSignInsPerSecond: number;
    maxEventLoopDelayMs: number;
    maxHeapUsedBytes: number;
    /** Learn the write slots from the writes' throughput and latency, up to maxConcurrentWrites (ADAPTIVE_WRITES, default 1). */
    adaptiveWrites: boolean;
  };
}

function integer(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new Error(`${name} must be a whole number from ${min} to ${max}, not "${value}"`);
  return n;
}

/**
 * SYNC_WINDOW="19:00-07:00", SYNC_DAYS="1-5" or "1,2,3,4,5,7" (ISO weekdays the window starts), KEEP_PREVIOUS_WEEKS;
 * SEND_PEAKS and SEND_PEAK_DAYS (default 1-5).
 */
function offPeak(env: NodeJS.ProcessEnv): OffPeakWindow {
  const window = env.SYNC_WINDOW || `${DEFAULT_WINDOW.windowStart}-${DEFAULT_WINDOW.windowEnd}`;
  const m = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$/.exec(window);
  if (!m || `${m[1]}:${m[2]}` === `${m[3]}:${m[4]}`)
    throw new Error(`SYNC_WINDOW must look like 19:00-07:00 (start and end differ), not "${window}"`);
  const peakDays = weekdays('SEND_PEAK_DAYS', env.SEND_PEAK_DAYS || '1-5');
  return {
    windowStart: `${m[1]}:${m[2]}`,
    windowEnd: `${m[3]}:${m[4]}`,
    days: weekdays('SYNC_DAYS', env.SYNC_DAYS || '1-7'),
    keepPreviousWeeks: integer('KEEP_PREVIOUS_WEEKS', env.KEEP_PREVIOUS_WEEKS, DEFAULT_WINDOW.keepPreviousWeeks, 0, 52),
    ...((env.SEND_PEAKS ?? '').trim() === 'auto'
      ? { learnPeaks: { days: peakDays } }
      : { sendPeaks: sendPeaks(env.SEND_PEAKS ?? '', peakDays) }),
  };
}

/** "1-5" or "1,3,5": ISO weekdays, sorted. */
function weekdays(name: string, text: string): number[] {
  const days = new Set<number>();
  for (const part of text.split(',')) {
    const range = /^([1-7])(?:-([1-7]))?$/.exec(part.trim());
    if (!range) throw new Error(`${name} must list ISO weekdays 1 (Monday) to 7, like 1-5 or 1,3,5, not "${text}"`);
    const from = Number(range[1]);
    const to = Number(range[2] ?? range[1]);
    for (let d = from; d <= to; d++) days.add(d);
  }
  return [...days].sort((a, b) => a - b);
}

/**
 * SEND_PEAKS="08:00-09:00/0.5/1800,13:30-14:00/0.8/600": the server's peak hours (local), each with the share of
 * new work it takes as it comes and the seconds after the peak over which devices spread the rest (send-peaks.ts);
 * SEND_PEAKS=auto learns them from the last week's submissions (peak-forecast.ts).
 */
function sendPeaks(text: string, days: number[]): SendPeak[] {
  if (text.trim() === '') return [];
  return text.split(',').map((part) => {
    const p = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)\/(0?\.\d+|1(?:\.0*)?)\/(\d{1,6})$/.exec(
      part.trim(),
    );
    const start = p ? `${p[1]}:${p[2]}` : '';
    const end = p ? `${p[3]}:${p[4]}` : '';
    if (!p || start >= end || Number(p[5]) <= 0)
      throw new Error(
        `SEND_PEAKS must look like 08:00-09:00/0.5/1800 (start before end, a share in (0, 1], seconds), not "${part}"`,
      );
    return { start, end, days, admit: Number(p[5]), spreadSeconds: Number(p[6]) };
  });
}

/** Per-address bounds: raise them behind a reverse proxy (every client then has the proxy's address). */
function guardSettings(env: NodeJS.ProcessEnv): Config['guard'] {
  const rate = integer('NEW_CONNECTIONS_PER_SECOND', env.NEW_CONNECTIONS_PER_SECOND, 200, 1, 1_000_000);
  return {
    maxConnectionsPerAddress: integer(
      'MAX_CONNECTIONS_PER_ADDRESS',
      env.MAX_CONNECTIONS_PER_ADDRESS,
      512,
      1,
      1_000_000,
    ),
    newConnectionsPerSecond: rate,
    newConnectionsBurst: 2 * rate,
  };
}

/** FULL unless told, in words nobody types by accident, to lose acknowledged work on a power cut. */
function sqliteSynchronous(value: string | undefined): 'FULL' | 'OFF' {
  if (value === undefined || value === '' || value === 'FULL') return 'FULL';
  if (value === 'OFF_LOSES_ACKNOWLEDGED_WORK') return 'OFF';
  throw new Error(
    `SQLITE_SYNCHRONOUS must be FULL (the default); OFF_LOSES_ACKNOWLEDGED_WORK exists for bench:power-loss, not "${value}"`,
  );
}

/** Reads the environment; throws a readable error on a bad value. */
const MB = 1024 * 1024;

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
    sqliteSynchronous: sqliteSynchronous(env.SQLITE_SYNCHRONOUS),
    redisUrl: env.REDIS_URL || undefined,
    redisPrefix: env.REDIS_PREFIX || 'cartable:rl:',
    accessLog: env.ACCESS_LOG ? resolve(cwd, env.ACCESS_LOG) : undefined,
    offPeak: offPeak(env),
    homework: {
      ...HOMEWORK_LIMITS,
      // At most the defaults: a school on a thin line may lower them, never raise them past what the routes read.
      maxFileBytes:
        integer('HOMEWORK_MAX_FILE_MB', env.HOMEWORK_MAX_FILE_MB, HOMEWORK_LIMITS.maxFileBytes / MB, 1, 20) * MB,
      maxTotalBytes:
        integer('HOMEWORK_MAX_TOTAL_MB', env.HOMEWORK_MAX_TOTAL_MB, HOMEWORK_LIMITS.maxTotalBytes / MB, 1, 40) * MB,
    },
    capacityPerSecond: integer('SERVER_CAPACITY', env.SERVER_CAPACITY, 100, 1, 1_000_000),
    capacityCeiling: env.SERVER_CAPACITY_CEILING
      ? integer('SERVER_CAPACITY_CEILING', env.SERVER_CAPACITY_CEILING, 0, 1, 1_000_000)
      : undefined,
    guard: guardSettings(env),
    admission: {
      maxConcurrentWrites: integer('MAX_CONCURRENT_WRITES', env.MAX_CONCURRENT_WRITES, 32, 0, 10_000),
      maxQueuedWrites: integer('MAX_QUEUED_WRITES', env.MAX_QUEUED_WRITES, 512, 0, 1_000_000),
      maxConcurrentSignIns: integer('MAX_CONCURRENT_SIGN_INS', env.MAX_CONCURRENT_SIGN_INS, 8, 1, 10_000),
      maxQueuedSignIns: integer('MAX_QUEUED_SIGN_INS', env.MAX_QUEUED_SIGN_INS, 256, 0, 1_000_000),
      maxSignInsPerSecond: integer('MAX_SIGN_INS_PER_SECOND', env.MAX_SIGN_INS_PER_SECOND, 10, 0, 100_000),
      maxEventLoopDelayMs: integer('MAX_EVENT_LOOP_DELAY_MS', env.MAX_EVENT_LOOP_DELAY_MS, 1000, 0, 60_000),
      maxHeapUsedBytes: integer('MAX_HEAP_USED_MB', env.MAX_HEAP_USED_MB, 0, 0, 1_000_000) * 1024 * 1024,
      adaptiveWrites: integer('ADAPTIVE_WRITES', env.ADAPTIVE_WRITES, 1, 0, 1) === 1,
    },
  };
}
