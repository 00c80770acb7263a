/**
 * bench:abuse — honest pupils' durable submissions per second while hostile clients run, against the same honest load
 * with no attack, in alternating rounds of one run (the machine is shared: only the ratio means something).
 *
 * The server is the real built one with its production defaults (admission gates, the budget of secret checks,
 * the connection guard, the event-loop shedder at 1 s). The honest load is autocannon: HONEST connections, each PUT a
 * new submission id, so each 201 is a new durable row. The attack (bench/abuse-attacker.ts, its own process): slow
 * sign-in bodies, a sign-in flood from 64 loopback addresses, and 30 MB sealed bodies naming an unknown key sent
 * with a pupil's device token. Goal: honest rate under attack >= 0.9 of the rate without, 0 honest 5xx.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import { startServer } from '../e2e/server.ts';
import { demoSession } from './demo-client.ts';
import { cpuSeconds, median, printTable, writeResults } from './report.ts';

const HONEST = Number(process.env.BENCH_HONEST ?? 16);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

// The production defaults, set explicitly (test servers turn the shedder and the secret-check budget off).
const server = await startServer({
  LOG_LEVEL: 'error',
  MAX_EVENT_LOOP_DELAY_MS: '1000',
  MAX_SIGN_INS_PER_SECOND: '10',
});
let attacker: ChildProcess | undefined;
try {
  const session = await demoSession(server.url);
  const signIn = await fetch(`${server.url}/api/auth/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'hugo', secret: 'nuage-34' }),
  });
  const { deviceToken } = (await signIn.json()) as { deviceToken: string };

  const honest = async () => {
    const before = cpuSeconds(server.pid());
    const r = await autocannon({
      url: server.url,
      connections: HONEST,
      duration: SECONDS,
      requests: [
        {
          method: 'PUT',
          headers: { authorization: `Bearer ${session.token}`, 'content-type': 'application/json' },
          setupRequest: (req) => ({
            ...req,
            path: `/api/submissions/${randomUUID()}`,
            body: JSON.stringify({
              classId: 'cm2-b',
              week: session.week,
              assignmentId: 'exercices-fractions',
              text: 'Exercice 1 : trois quarts du rectangle sont coloriés.',
              files: [],
              submittedAt: new Date().toISOString(),
            }),
          }),
        },
      ],
    });
    const created = r.statusCodeStats['201']?.count ?? 0;
    const fiveXx = Object.entries(r.statusCodeStats)
      .filter(([code]) => code.startsWith('5'))
      .reduce((n, [, v]) => n + v.count, 0);
    return { rate: created / SECONDS, fiveXx, errors: r.errors, cpu: (cpuSeconds(server.pid()) - before) / SECONDS };
  };

  const startAttack = async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/abuse-attacker.ts', server.url, deviceToken], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    attacker = child;
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    // Let the slow sockets open and the flood start before measuring.
    await new Promise((r) => setTimeout(r, 1500));
    return async () => {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      await exited;
      return JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as Record<string, Record<string, number>>;
    };
  };

  const calm: number[] = [];
  const attacked: number[] = [];
  const rows: Record<string, string | number>[] = [];
  let honest5xx = 0;
  let honestErrors = 0;
  const attackAnswers: Record<string, Record<string, number>> = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const underAttack of round % 2 === 0 ? [false, true] : [true, false]) {
      const stop = underAttack ? await startAttack() : undefined;
      const r = await honest();
      const answers = stop ? await stop() : undefined;
      for (const [kind, byStatus] of Object.entries(answers ?? {})) {
        const into = attackAnswers[kind] ?? {};
        for (const [status, n] of Object.entries(byStatus)) into[status] = (into[status] ?? 0) + n;
        attackAnswers[kind] = into;
      }
      (underAttack ? attacked : calm).push(r.rate);
      honest5xx += r.fiveXx;
      honestErrors += r.errors;
      rows.push({
        round: round + 1,
        attack: underAttack ? 'yes' : 'no',
        'honest 201/s': r.rate,
        'honest 5xx': r.fiveXx,
        'server CPU (cores)': r.cpu,
      });
      // The server forgets the attack's sockets and lockouts between rounds.
      await new Promise((res) => setTimeout(res, 1000));
    }
  }
  printTable(rows);
  const honestRatio = median(attacked) / median(calm);
  console.log(
    `\nhonest rate under attack / without: ${honestRatio.toFixed(3)} (goal >= 0.9), honest 5xx: ${honest5xx} (goal 0)`,
  );
  console.log('what the attack got, by status:', JSON.stringify(attackAnswers));
  const path = writeResults('abuse', {
    honestRatio,
    honest5xx,
    honestErrors,
    calmRate: median(calm),
    attackedRate: median(attacked),
    rounds: rows,
    attackAnswers,
    settings: { honestConnections: HONEST, seconds: SECONDS, rounds: ROUNDS },
  });
  console.log(`figures written to ${path}`);
} finally {
  attacker?.kill('SIGKILL');
  await server.dispose();
}
