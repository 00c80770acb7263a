// `npm run bench`: every benchmark in sequence, each writing bench/results/<name>.json with the commit it ran on
// (bench/report.ts). One that fails does not stop the others; the summary says which failed, and the exit code too.
// BENCH_ONLY=offline,durable runs some of them. Commit first: results from a dirty tree are marked "+dirty".
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const ALL = [
  'offline',
  'outbox',
  'durable',
  'backends',
  'delta',
  'feedback',
  'refusal-cost',
  'abuse',
  'capacity',
  'herd',
  'herd-http',
  'power-loss',
];
const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim());
const names = only ? ALL.filter((n) => only.includes(n)) : ALL;
const dirty = spawnSync(
  'git',
  ['status', '--porcelain', '--untracked-files=no', '--', '.', ':(exclude)bench/results'],
  {
    encoding: 'utf8',
  },
).stdout.trim();
if (dirty) console.warn('bench: the work tree has changes: results will name the commit with "+dirty".');

const outcomes = [];
for (const name of names) {
  const started = Date.now();
  console.log(`\n=== bench:${name} ===`);
  const run = spawnSync('npm', ['run', `bench:${name}`], { stdio: 'inherit' });
  let commit = '?';
  try {
    commit = JSON.parse(readFileSync(`bench/results/${name}.json`, 'utf8')).commit ?? '?';
  } catch {
    // no result written
  }
  outcomes.push({ name, ok: run.status === 0, seconds: Math.round((Date.now() - started) / 1000), commit });
}
console.log('\nbenchmark      result  seconds  commit in its results file');
for (const o of outcomes)
  console.log(
    `${o.name.padEnd(14)} ${(o.ok ? 'ok' : 'FAILED').padEnd(7)} ${String(o.seconds).padStart(7)}  ${o.commit}`,
  );
if (outcomes.some((o) => !o.ok)) process.exit(1);
