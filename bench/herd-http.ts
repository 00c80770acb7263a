/**
 * bench:herd-http — the outage scenario of bench:herd, over real HTTP: the real server (built, on loopback, with its
 * announced capacity capped at CAPACITY and its access log on), a few thousand devices in this process, each running the real sync
 * core (OutboxRunner, drainOutbox, backoff, recovery grid, adaptive throttle) through the real fetch transport, and
 * a real outage: the server process killed, then started again 60 s later on the same data.
 *
 *   1. yesterday: every device hands in one homework while the server is up (and so learns its recovery period);
 *   2. the outage: the server is killed; every device queues this morning's homework at a random moment of the
 *      outage's first half, presses Envoyer (a kick), and keeps the app's 30 s timer running, as the app does;
 *   3. the server starts again; the devices drain on their own.
 *
 * The figures come from the server's own records: arrivals per second from its access log, deliveries from its
 * database (received_at); lost = handed in on a device but not in the database at the end; duplicated = one piece of
 * homework stored under two ids.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startServer } from '../e2e/server.ts';
import { parseAccessLog } from '../src/server/access-log.ts';
import { recoveryPeriodSeconds } from '../src/server/recovery-period.ts';
import { FetchTransport } from '../src/storage/fetch-transport.ts';
import { cryptoRandom, realClock } from '../src/storage/platform.ts';
import { AdaptiveThrottle } from '../src/sync/adaptive-throttle.ts';
import { InProcessLock } from '../src/sync/in-process-lock.ts';
import { MemoryOutboxStore, MemorySyncStateStore } from '../src/sync/fakes.ts';
import { OutboxRunner } from '../src/sync/outbox-runner.ts';
import type { OutboxItem } from '../src/sync/ports.ts';
import { demoSession } from './demo-client.ts';
import { printTable, writeResults } from './report.ts';

const DEVICES = Number(process.env.HERD_DEVICES ?? 2000);
const CAPACITY = Number(process.env.HERD_CAPACITY ?? 100);
const OUTAGE_MS = Number(process.env.HERD_OUTAGE_S ?? 60) * 1000;
/** The app's timer (src/app/outbox-triggers.ts). */
const TIMER_MS = 30_000;
const CLASS_ID = 'cm2-b';
const ASSIGNMENT = 'exercices-fractions';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Device {
  pupilId: string;
  token: string;
  outbox: MemoryOutboxStore;
  runner: OutboxRunner;
  timer?: ReturnType<typeof setInterval>;
}

function homework(d: Device, week: string, text: string): OutboxItem {
  const now = Date.now();
  return {
    id: randomUUID(),
    owner: d.pupilId,
    classId: CLASS_ID,
    week,
    assignmentId: ASSIGNMENT,
    assignmentTitle: 'Exercices',
    text,
    files: [],
    submittedAt: new Date(now).toISOString(),
    createdAt: now,
    state: 'pending',
    attempts: 0,
  };
}

const kick = (d: Device) => void d.runner.kick().catch(() => undefined);

async function until(what: string, done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) {
      console.warn(`${what}: not done after ${timeoutMs / 1000} s`);
      return false;
    }
    await sleep(200);
  }
  return true;
}

const logDir = mkdtempSync(join(tmpdir(), 'cartable-herd-http-'));
const accessLog = join(logDir, 'access.log');
// The 2,000 simulated devices share one loopback address, unlike real ones: lift the per-address socket bounds.
const server = await startServer({
  LOG_LEVEL: 'error',
  SERVER_CAPACITY: String(CAPACITY),
  // The server measures its capacity (thousands of writes/s here); capped at CAPACITY, the recovery period it
  // announces is that of a server of CAPACITY, which is what the figures below are relative to.
  SERVER_CAPACITY_CEILING: String(CAPACITY),
  ACCESS_LOG: accessLog,
  MAX_CONNECTIONS_PER_ADDRESS: '1000000',
  NEW_CONNECTIONS_PER_SECOND: '1000000',
});
try {
  const { week } = await demoSession(server.url);

  // The school's pupils, with a live session each (as if each had signed in on their tablet last week).
  await server.stop();
  const dbPath = join(server.dataDir, 'cartable.sqlite');
  const devices: Device[] = [];
  {
    const db = new Database(dbPath);
    const school = db.prepare('select school_id from classes where id = ?').get(CLASS_ID) as { school_id: string };
    const now = new Date().toISOString();
    const expires = new Date(Date.now() + 86_400_000).toISOString();
    const user = db.prepare(
      `insert into users (id, school_id, role, username, display_name, secret_hash, created_at)
       values (?, ?, 'pupil', ?, ?, 'not-used', ?)`,
    );
    const member = db.prepare('insert into class_pupils (class_id, pupil_id) values (?, ?)');
    const session = db.prepare(
      'insert into sessions (token_hash, user_id, created_at, expires_at, revoked_at) values (?, ?, ?, ?, null)',
    );
    db.transaction(() => {
      for (let i = 0; i < DEVICES; i++) {
        const pupilId = `herd-${i}`;
        const token = randomBytes(32).toString('base64url');
        user.run(pupilId, school.school_id, `herd${i}`, `Élève ${i}`, now);
        member.run(CLASS_ID, pupilId);
        session.run(createHash('sha256').update(token).digest('hex'), pupilId, now, expires);
        const outbox = new MemoryOutboxStore();
        const runner = new OutboxRunner({
          transport: new FetchTransport(server.url, 15_000),
          outbox,
          syncState: new MemorySyncStateStore(),
          clock: realClock,
          random: cryptoRandom,
          lock: new InProcessLock(),
          isOnline: () => true, // a server outage: the device's network is up
          credentials: async () => token,
          concurrency: 2,
          throttle: new AdaptiveThrottle(realClock),
        });
        devices.push({ pupilId, token, outbox, runner });
      }
    })();
    db.close();
  }
  await server.start();

  // 1. Yesterday: each device hands in one homework at its own moment of a window of 2 N / C.
  const received = (state: 'yesterday' | 'morning') =>
    devices.filter((d) => [...d.outbox.items.values()].some((i) => i.text.startsWith(state) && i.state === 'received'))
      .length;
  const warmUpMs = (2 * DEVICES * 1000) / CAPACITY;
  for (const d of devices) {
    setTimeout(() => {
      d.outbox
        .add(homework(d, week, `yesterday ${d.pupilId}`), [])
        .then(() => kick(d))
        .catch(() => undefined);
      d.timer = setInterval(() => kick(d), TIMER_MS);
    }, Math.random() * warmUpMs);
  }
  await until('yesterday', () => received('yesterday') === DEVICES, warmUpMs + 120_000);
  console.log(
    `yesterday: ${received('yesterday')} of ${DEVICES} delivered; killing the server for ${OUTAGE_MS / 1000} s`,
  );

  // 2. The outage: kill -9, and this morning's homework is handed in during its first half.
  await server.stop({ crash: true });
  const downAt = Date.now();
  for (const d of devices) {
    setTimeout(
      () => {
        d.outbox
          .add(homework(d, week, `morning ${d.pupilId}`), [])
          .then(() => kick(d))
          .catch(() => undefined);
      },
      Math.random() * (OUTAGE_MS / 2),
    );
  }
  await sleep(OUTAGE_MS);

  // 3. Back.
  await server.start();
  const upAt = Date.now();
  console.log('server back');
  const periodS = recoveryPeriodSeconds(DEVICES + 3, CAPACITY);
  await until('morning', () => received('morning') === DEVICES, 4 * periodS * 1000 + 60_000);
  const settledAt = Date.now();
  for (const d of devices) {
    clearInterval(d.timer);
    d.runner.stop();
  }
  await sleep(1000);
  await server.stop(); // flushes the access log

  // The server's records.
  // Everything the server logged after it was killed, i.e. since it came back; its first arrival is its return.
  const lines = parseAccessLog(readFileSync(accessLog, 'utf8')).filter((l) => l.arrivalMs >= downAt);
  const backAt = Math.min(...lines.map((l) => l.arrivalMs));
  const perSecond = new Map<number, number>();
  for (const l of lines) {
    const s = Math.floor((l.arrivalMs - backAt) / 1000);
    perSecond.set(s, (perSecond.get(s) ?? 0) + 1);
  }
  const submissionPuts = lines.filter((l) => l.method === 'PUT' && l.route === '/api/submissions/:id');
  const db = new Database(dbPath, { readonly: true });
  const rows = db.prepare("select id, text, received_at from submissions where text like 'morning %'").all() as {
    id: string;
    text: string;
    received_at: string;
  }[];
  db.close();
  const stored = new Set(rows.map((r) => r.text));
  const handedIn = devices.flatMap((d) => [...d.outbox.items.values()].filter((i) => i.text.startsWith('morning')));
  const lost = handedIn.filter((i) => !stored.has(i.text)).length;
  const duplicated = rows.length - stored.size;
  const lastDelivery = Math.max(...rows.map((r) => Date.parse(r.received_at)));
  const ideal = DEVICES / CAPACITY;
  const peak = Math.max(0, ...perSecond.values());
  const refused = submissionPuts.filter((l) => l.status === 503 || l.status === 429).length;
  const figures = {
    devices: DEVICES,
    capacityPerSecond: CAPACITY,
    outageSeconds: OUTAGE_MS / 1000,
    recoveryPeriodSeconds: periodS,
    peakPerCapacity: Number((peak / CAPACITY).toFixed(2)),
    attemptsPerItem: Number((submissionPuts.length / Math.max(1, rows.length)).toFixed(2)),
    drainPerIdeal: Number(((lastDelivery - backAt) / 1000 / ideal).toFixed(2)),
    lost,
    duplicated,
    refused,
    requestsAfterRestart: lines.length,
    secondsToSettle: Math.round((settledAt - upAt) / 1000),
    arrivalsPerSecond: [...perSecond.entries()].sort((a, b) => a[0] - b[0]).map(([, n]) => n),
  };
  printTable([
    { measure: 'devices, each with one homework queued during the outage', figure: DEVICES },
    { measure: 'server capacity (SERVER_CAPACITY), requests/s', figure: CAPACITY },
    { measure: 'outage (server killed), s', figure: OUTAGE_MS / 1000 },
    { measure: 'peak arrivals / capacity after restart (goal <= 1.1)', figure: figures.peakPerCapacity },
    { measure: 'submission PUTs per delivered item (goal <= 1.2)', figure: figures.attemptsPerItem },
    { measure: 'drain / ideal N/C (goal <= 1.3)', figure: figures.drainPerIdeal },
    { measure: 'refused (503/429)', figure: refused },
    { measure: 'lost', figure: lost },
    { measure: 'duplicated', figure: duplicated },
  ]);
  console.log(`wrote ${writeResults('herd-http', figures)}`);
} finally {
  await server.dispose();
  rmSync(logDir, { recursive: true, force: true });
}
