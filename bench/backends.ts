/**
 * bench:backends — the same server on SQLite (embedded default) and on PostgreSQL, side by side in one run:
 * durable submissions per second (PUT, committed before the answer) and manifest revalidations per second (304).
 * Both servers run at once; the measures alternate in rounds so background noise hits both alike; medians and the
 * PostgreSQL / SQLite ratio are reported. Needs BENCH_DATABASE_URL (default: the local postgres, database test).
 */
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { startServer } from '../e2e/server.ts';
import { type DemoSession, demoSession, submitHomework } from './demo-client.ts';
import { median, printTable, writeResults } from './report.ts';

const PG_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const CONCURRENCY = 16;

type Target = DemoSession & { name: 'sqlite' | 'postgres' };

/** Runs `request` from CONCURRENCY loops for SECONDS; returns the rate of answers with `status`, and any others. */
async function rate(
  request: () => Promise<Response>,
  status: number,
): Promise<{ perSecond: number; unexpected: number }> {
  const deadline = Date.now() + SECONDS * 1000;
  let ok = 0;
  let unexpected = 0;
  const loop = async () => {
    while (Date.now() < deadline) {
      const res = await request();
      await res.arrayBuffer();
      if (res.status === status) ok++;
      else unexpected++;
    }
  };
  const started = Date.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, loop));
  return { perSecond: ok / ((Date.now() - started) / 1000), unexpected };
}

async function prepare(name: Target['name'], url: string): Promise<Target> {
  return { name, ...(await demoSession(url)) };
}

const submit = (t: Target) => () => submitHomework(t);

const revalidate = (t: Target) => () =>
  fetch(`${t.url}/api/classes/cm2-b/weeks/${t.week}`, {
    headers: { authorization: `Bearer ${t.token}`, 'if-none-match': t.etag },
  });

const schema = `cartable_bench_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
const admin = new Client({ connectionString: PG_URL });
await admin.connect();
await admin.query(`create schema ${schema}`);
const pgUrl = new URL(PG_URL);
pgUrl.searchParams.set('options', `-c search_path=${schema}`);
const servers = [
  await startServer({ LOG_LEVEL: 'error' }),
  await startServer({ LOG_LEVEL: 'error', DATABASE_URL: pgUrl.toString() }),
];
try {
  const targets = [await prepare('sqlite', servers[0]?.url ?? ''), await prepare('postgres', servers[1]?.url ?? '')];
  const samples: Record<string, { submissions: number[]; revalidations: number[]; unexpected: number }> = {
    sqlite: { submissions: [], revalidations: [], unexpected: 0 },
    postgres: { submissions: [], revalidations: [], unexpected: 0 },
  };
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate which backend goes first, so neither always gets the warmer (or noisier) slot.
    const order = round % 2 === 0 ? targets : [targets[1], targets[0]].filter((t) => t !== undefined);
    for (const t of order) {
      const s = samples[t.name];
      if (!s) continue;
      const subs = await rate(submit(t), 201);
      const revs = await rate(revalidate(t), 304);
      s.submissions.push(subs.perSecond);
      s.revalidations.push(revs.perSecond);
      s.unexpected += subs.unexpected + revs.unexpected;
    }
  }
  const sqlite = samples.sqlite;
  const postgres = samples.postgres;
  if (!sqlite || !postgres) throw new Error('missing samples');
  const figures = {
    sqliteSubmissionsPerSecond: median(sqlite.submissions),
    postgresSubmissionsPerSecond: median(postgres.submissions),
    submissionsRatioPostgresPerSqlite: median(postgres.submissions) / median(sqlite.submissions),
    sqliteRevalidationsPerSecond: median(sqlite.revalidations),
    postgresRevalidationsPerSecond: median(postgres.revalidations),
    revalidationsRatioPostgresPerSqlite: median(postgres.revalidations) / median(sqlite.revalidations),
    unexpectedAnswers: sqlite.unexpected + postgres.unexpected,
    rounds: ROUNDS,
    secondsPerMeasure: SECONDS,
    concurrency: CONCURRENCY,
    samples,
  };
  printTable([
    {
      measure: 'durable submissions/s (PUT, 201)',
      sqlite: figures.sqliteSubmissionsPerSecond,
      postgres: figures.postgresSubmissionsPerSecond,
      'postgres/sqlite': figures.submissionsRatioPostgresPerSqlite,
    },
    {
      measure: 'manifest revalidations/s (304)',
      sqlite: figures.sqliteRevalidationsPerSecond,
      postgres: figures.postgresRevalidationsPerSecond,
      'postgres/sqlite': figures.revalidationsRatioPostgresPerSqlite,
    },
  ]);
  console.log(`unexpected answers: ${figures.unexpectedAnswers}`);
  console.log(`written: ${writeResults('backends', figures)}`);
} finally {
  for (const s of servers) await s.dispose();
  await admin.query(`drop schema ${schema} cascade`);
  await admin.end();
}
