/**
 * bench:refusal-cost — what a refusal costs the real server, against what a durable submission costs: the figure
 * bench:herd's server model charges for each 503, so that its goodput under overload means something.
 *
 * Two copies of the built server run at once, measured in alternating rounds with the same 64 client loops: one
 * stores every submission (group commit, SQLite synchronous=FULL), the other refuses every submission at the write
 * gate (writes paused: MAX_CONCURRENT_WRITES=0). The clients share the
 * machine and are the slower side, so rates say little; each server's own CPU time (from /proc) per answer does: the
 * cost of a refusal is (server CPU per refusal) / (server CPU per stored submission).
 */
import { startServer } from '../e2e/server.ts';
import { type DemoSession, demoSession, submitHomework } from './demo-client.ts';
import { cpuSeconds, median, printTable, writeResults } from './report.ts';

const CONCURRENCY = 64;

const ROUNDS = 3;
const SECONDS = 4;

async function load(s: DemoSession, seconds: number): Promise<Record<number, number>> {
  const counts: Record<number, number> = {};
  const until = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < until) {
        const res = await submitHomework(s);
        await res.arrayBuffer();
        counts[res.status] = (counts[res.status] ?? 0) + 1;
      }
    }),
  );
  return counts;
}

const storing = await startServer({ LOG_LEVEL: 'error', MAX_CONCURRENT_WRITES: '256' });
// Writes paused (MAX_CONCURRENT_WRITES=0): every submission is refused at the gate, before Fastify. (A slot can no
// longer be held by an upload whose body never ends: slots are taken once the body is read.)
const refusing = await startServer({ LOG_LEVEL: 'error', MAX_CONCURRENT_WRITES: '0', MAX_QUEUED_WRITES: '0' });
try {
  const sessions = { storing: await demoSession(storing.url), refusing: await demoSession(refusing.url) };
  const servers = { storing, refusing };
  const rates = { stored: [] as number[], refused: [] as number[] };
  const cpuPer = { stored: [] as number[], refused: [] as number[] };
  let unexpected = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? (['storing', 'refusing'] as const) : (['refusing', 'storing'] as const);
    for (const name of order) {
      const before = cpuSeconds(servers[name].pid());
      const counts = await load(sessions[name], SECONDS);
      const used = cpuSeconds(servers[name].pid()) - before;
      const good = name === 'storing' ? (counts[201] ?? 0) : (counts[503] ?? 0);
      const total = Object.values(counts).reduce((a, b) => a + b, 0);
      unexpected += total - good;
      const kind = name === 'storing' ? 'stored' : 'refused';
      rates[kind].push(good / SECONDS);
      cpuPer[kind].push(used / Math.max(1, good));
    }
  }
  const stored = median(rates.stored);
  const refused = median(rates.refused);
  const cpuStored = median(cpuPer.stored);
  const cpuRefused = median(cpuPer.refused);
  const figures = {
    storedPerSecond: Math.round(stored),
    refusedPerSecond: Math.round(refused),
    serverCpuMicrosecondsPerSubmission: Math.round(cpuStored * 1e6),
    serverCpuMicrosecondsPerRefusal: Math.round(cpuRefused * 1e6),
    refusalCost: Number((cpuRefused / cpuStored).toFixed(3)),
    unexpectedAnswers: unexpected,
    concurrency: CONCURRENCY,
    rounds: ROUNDS,
    secondsPerRound: SECONDS,
  };
  printTable([
    { measure: 'durable submissions/s (group commit)', figure: figures.storedPerSecond },
    { measure: 'refused submissions/s (503 at the write gate)', figure: figures.refusedPerSecond },
    { measure: 'server CPU per stored submission, µs', figure: figures.serverCpuMicrosecondsPerSubmission },
    { measure: 'server CPU per refusal, µs', figure: figures.serverCpuMicrosecondsPerRefusal },
    { measure: 'cost of a refusal, in submissions (CPU)', figure: figures.refusalCost },
    { measure: 'unexpected answers', figure: unexpected },
  ]);
  console.log(`wrote ${writeResults('refusal-cost', figures)}`);
} finally {
  await storing.dispose();
  await refusing.dispose();
}
