/**
 * bench:durable — durable submissions per second on SQLite with synchronous=FULL, with group commit (concurrent
 * submissions share one transaction and one flush) beside the same server without it, both running at once in
 * alternating rounds; then repeated kill -9 of the group-commit server under load, counting submissions that were
 * acknowledged (201) but are missing from the database after the restart.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { type RunningServer, startServer } from '../e2e/server.ts';
import { type DemoSession, demoSession, submitHomework } from './demo-client.ts';
import { median, printTable, writeResults } from './report.ts';

const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const ROUNDS = 3;
const SECONDS = 4;
const KILLS = 3;

interface Target {
  server: RunningServer;
  session: DemoSession;
}

async function prepare(server: RunningServer): Promise<Target> {
  return { server, session: await demoSession(server.url) };
}

/** Sends submissions from CONCURRENCY loops until `stop()` says so; returns the ids answered 201. */
async function load(t: Target, stop: () => boolean): Promise<{ acknowledged: string[]; failed: number }> {
  const acknowledged: string[] = [];
  let failed = 0;
  const loop = async () => {
    while (!stop()) {
      const id = randomUUID();
      try {
        const res = await submitHomework(t.session, id);
        await res.arrayBuffer();
        if (res.status === 201) acknowledged.push(id);
        else failed++;
      } catch {
        failed++; // the server died under us: not acknowledged
        if (stop()) return;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, loop));
  return { acknowledged, failed };
}

const grouped = await startServer({ LOG_LEVEL: 'error', MAX_CONCURRENT_WRITES: '256' });
const single = await startServer({ LOG_LEVEL: 'error', MAX_CONCURRENT_WRITES: '256', GROUP_COMMIT: '0' });
try {
  const targets = { grouped: await prepare(grouped), single: await prepare(single) };
  const rates: Record<'grouped' | 'single', number[]> = { grouped: [], single: [] };
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? (['grouped', 'single'] as const) : (['single', 'grouped'] as const);
    for (const name of order) {
      const until = Date.now() + SECONDS * 1000;
      const started = Date.now();
      const { acknowledged } = await load(targets[name], () => Date.now() >= until);
      rates[name].push(acknowledged.length / ((Date.now() - started) / 1000));
    }
  }

  // kill -9 under load, KILLS times; every acknowledged submission must be in the database afterwards.
  const acknowledged: string[] = [];
  for (let k = 0; k < KILLS; k++) {
    let dead = false;
    const running = load(targets.grouped, () => dead);
    await new Promise((r) => setTimeout(r, 1500 + Math.random() * 1000));
    await grouped.stop({ crash: true });
    dead = true;
    acknowledged.push(...(await running).acknowledged);
    await grouped.start();
  }
  const db = new Database(join(grouped.dataDir, 'cartable.sqlite'), { readonly: true });
  const has = db.prepare('select 1 from submissions where id = ?');
  const lost = acknowledged.filter((id) => !has.get(id)).length;
  db.close();

  const figures = {
    submissionsPerSecond: median(rates.grouped),
    withoutGroupCommitPerSecond: median(rates.single),
    groupCommitRatio: median(rates.grouped) / median(rates.single),
    acknowledgedLost: lost,
    acknowledgedAcrossKills: acknowledged.length,
    kills: KILLS,
    concurrency: CONCURRENCY,
    samples: rates,
  };
  printTable([
    { measure: 'durable submissions/s, group commit (SQLite synchronous=FULL)', value: figures.submissionsPerSecond },
    { measure: 'durable submissions/s, one transaction each (same run)', value: figures.withoutGroupCommitPerSecond },
    { measure: 'group commit / one each', value: figures.groupCommitRatio },
    { measure: `acknowledged before ${KILLS} kill -9 under load`, value: figures.acknowledgedAcrossKills },
    { measure: 'acknowledged but lost', value: figures.acknowledgedLost },
  ]);
  console.log(`written: ${writeResults('durable', figures)}`);
} finally {
  await grouped.dispose();
  await single.dispose();
}
