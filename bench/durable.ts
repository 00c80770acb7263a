/**
 * bench:durable — durable submissions per second on SQLite with synchronous=FULL, with group commit (concurrent
 * submissions share one transaction and one flush) beside the same server without it, both running at once in
 * alternating rounds; then repeated kill -9 of the group-commit server under load, counting submissions that were
 * acknowledged (201) but are missing from the database after the restart.
 *
 * Beside them, in the same rounds, a bare Fastify PUT handler (bench/hello-fastify.ts: JSON body parsed, 201, no
 * database) under the same load: durable submissions are reported as a ratio of it (goal >= 0.3).
 *
 * The rate is driven by autocannon (each request a new submission id, so each 201 is a new durable row): on two shared
 * cores, a fetch-based client spends more CPU per request than the server and the server then waits a third of its
 * time (profiled in docs/benchmarks.md). The same fetch loops as the kill test are measured beside it, for comparison.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import { type RunningServer, startServer } from '../e2e/server.ts';
import { type DemoSession, demoSession, homeworkBody, submitHomework } from './demo-client.ts';
import { startHello } from './hello-fastify.ts';
import { cpuSeconds, median, printTable, writeResults } from './report.ts';

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

/** The same load against the bare Fastify handler: 201s per second. */
async function blastBare(url: string, body: () => string): Promise<number> {
  const r = await autocannon({
    url,
    connections: CONCURRENCY,
    duration: SECONDS,
    requests: [
      {
        method: 'PUT',
        headers: { authorization: 'Bearer not-checked', 'content-type': 'application/json' },
        setupRequest: (req) => ({ ...req, path: `/submit/${randomUUID()}`, body: body() }),
      },
    ],
  });
  return (r.statusCodeStats['201']?.count ?? 0) / SECONDS;
}

/** New submissions for SECONDS from CONNECTIONS keep-alive connections; answers 201s per second and the server's CPU. */
async function blast(
  t: Target,
  options: { seconds?: number; onCreated?: (id: string) => void } = {},
): Promise<{ rate: number; other: number; cpuPerSubmission: number }> {
  const seconds = options.seconds ?? SECONDS;
  const body = () => homeworkBody(t.session.week);
  const before = cpuSeconds(t.server.pid());
  const r = await autocannon({
    url: t.server.url,
    connections: CONCURRENCY,
    duration: seconds,
    requests: [
      {
        method: 'PUT',
        headers: { authorization: `Bearer ${t.session.token}`, 'content-type': 'application/json' },
        // One request in flight per connection: the id its context holds is the one the next answer is for.
        setupRequest: (req, context) => {
          const id = randomUUID();
          context.id = id;
          return { ...req, path: `/api/submissions/${id}`, body: body() };
        },
        onResponse: (status, _body, context) => {
          if (status === 201 && typeof context.id === 'string') options.onCreated?.(context.id);
        },
      },
    ],
  });
  const created = r.statusCodeStats['201']?.count ?? 0;
  return {
    rate: created / seconds,
    other: r.requests.total - created + r.errors,
    cpuPerSubmission: (cpuSeconds(t.server.pid()) - before) / Math.max(1, created),
  };
}

const grouped = await startServer({ LOG_LEVEL: 'error', MAX_CONCURRENT_WRITES: '256' });
const single = await startServer({ LOG_LEVEL: 'error', MAX_CONCURRENT_WRITES: '256', GROUP_COMMIT: '0' });
/** What the committing connection says of itself (the server reads the pragma back and prints it at start). */
async function readBack(server: typeof grouped): Promise<string> {
  for (let i = 0; i < 50 && !/synchronous=/.test(server.output()); i++) await new Promise((r) => setTimeout(r, 100));
  return /synchronous=[A-Z]+/.exec(server.output())?.[0] ?? 'not printed';
}
const synchronousReadBack = await readBack(grouped);
const hello = await startHello();
try {
  const targets = { grouped: await prepare(grouped), single: await prepare(single) };
  const rates: Record<'grouped' | 'single', number[]> = { grouped: [], single: [] };
  const cpu: Record<'grouped' | 'single', number[]> = { grouped: [], single: [] };
  const bare: number[] = [];
  let unexpected = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? (['grouped', 'single', 'bare'] as const) : (['bare', 'single', 'grouped'] as const);
    for (const name of order) {
      if (name === 'bare') {
        bare.push(await blastBare(hello.url, () => homeworkBody(targets.grouped.session.week)));
        continue;
      }
      const r = await blast(targets[name]);
      rates[name].push(r.rate);
      cpu[name].push(r.cpuPerSubmission);
      unexpected += r.other;
    }
  }
  // The kill test's fetch loops, for one round each: what a heavier client on the same two cores gets.
  const fetchRates: Record<'grouped' | 'single', number> = { grouped: 0, single: 0 };
  for (const name of ['grouped', 'single'] as const) {
    const until = Date.now() + SECONDS * 1000;
    const started = Date.now();
    const { acknowledged } = await load(targets[name], () => Date.now() >= until);
    fetchRates[name] = acknowledged.length / ((Date.now() - started) / 1000);
  }

  // kill -9 under the full autocannon load, KILLS times, the server restarted while the load goes on; every
  // submission answered 201 must be in the database afterwards.
  const acknowledged: string[] = [];
  for (let k = 0; k < KILLS; k++) {
    const running = blast(targets.grouped, { seconds: 5, onCreated: (id) => acknowledged.push(id) });
    await new Promise((r) => setTimeout(r, 1500 + Math.random() * 1000));
    await grouped.stop({ crash: true });
    await grouped.start();
    await running;
  }
  const db = new Database(join(grouped.dataDir, 'cartable.sqlite'), { readonly: true });
  const has = db.prepare('select 1 from submissions where id = ?');
  const lost = acknowledged.filter((id) => !has.get(id)).length;
  db.close();

  const figures = {
    submissionsPerSecond: median(rates.grouped),
    withoutGroupCommitPerSecond: median(rates.single),
    groupCommitRatio: median(rates.grouped) / median(rates.single),
    bareFastifyPerSecond: median(bare),
    bareFastifyRatio: median(rates.grouped) / median(bare),
    serverCpuMicrosecondsPerSubmission: { grouped: median(cpu.grouped) * 1e6, single: median(cpu.single) * 1e6 },
    fetchClientPerSecond: fetchRates,
    unexpectedAnswers: unexpected,
    client: `autocannon, ${CONCURRENCY} connections, ${SECONDS} s x ${ROUNDS} rounds`,
    synchronousReadBack,
    acknowledgedLost: lost,
    acknowledgedAcrossKills: acknowledged.length,
    kills: KILLS,
    concurrency: CONCURRENCY,
    samples: { ...rates, bare },
  };
  printTable([
    {
      measure: `durable submissions/s, group commit (SQLite ${synchronousReadBack})`,
      value: figures.submissionsPerSecond,
    },
    { measure: 'durable submissions/s, one transaction each (same run)', value: figures.withoutGroupCommitPerSecond },
    { measure: 'group commit / one each', value: figures.groupCommitRatio },
    { measure: 'bare Fastify PUT, no database (same run), /s', value: figures.bareFastifyPerSecond },
    { measure: 'durable (group commit) / bare Fastify', value: figures.bareFastifyRatio },
    {
      measure: 'server CPU µs per submission, group commit',
      value: figures.serverCpuMicrosecondsPerSubmission.grouped,
    },
    { measure: 'server CPU µs per submission, one each', value: figures.serverCpuMicrosecondsPerSubmission.single },
    { measure: 'same, fetch-loop client: group commit /s', value: fetchRates.grouped },
    { measure: 'same, fetch-loop client: one each /s', value: fetchRates.single },
    { measure: 'answers other than 201 (autocannon rounds)', value: unexpected },
    { measure: `acknowledged before ${KILLS} kill -9 under load`, value: figures.acknowledgedAcrossKills },
    { measure: 'acknowledged but lost', value: figures.acknowledgedLost },
  ]);
  console.log(`written: ${writeResults('durable', figures)}`);
} finally {
  await grouped.dispose();
  await single.dispose();
  hello.child.kill();
}
