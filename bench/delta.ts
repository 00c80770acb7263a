/**
 * bench:delta — what keeping a device up to date costs the server.
 *
 * 1. A 30-file week (10 lessons × 3 files) is published on the real server; a device installs it with the real sync
 *    core over HTTP. The teacher then corrects one lesson (its text and two of its three files) and publishes again;
 *    the device brings itself up to date. Counted at the device's transport: requests and body bytes, against the
 *    goal "that lesson's changed files plus one manifest".
 * 2. Manifest revalidations per second (If-None-Match → 304) with autocannon against the real server, beside a bare
 *    Fastify hello-world (its own process) measured in the same run in alternating rounds; reported as a ratio.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import { startServer } from '../e2e/server.ts';
import { startHello } from './hello-fastify.ts';
import { addWeeks, isoWeekAt } from '../src/protocol/iso-week.ts';
import { lessonFileUrl, publicationUrl, weekManifestUrl } from '../src/protocol/paths.ts';
import type { PublishBody } from '../src/protocol/schemas.ts';
import { encodePng, simplePdf } from '../src/server/seed/media.ts';
import { FetchTransport } from '../src/storage/fetch-transport.ts';
import { realClock } from '../src/storage/platform.ts';
import { webVerifier } from '../src/storage/web-verifier.ts';
import { MemoryFileStore, MemoryKeyStore, MemoryWeekStore } from '../src/sync/fakes.ts';
import type { Transport } from '../src/sync/ports.ts';
import { installWeek } from '../src/sync/week-install.ts';
import { cpuSeconds, median, printTable, writeResults } from './report.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const PIPELINED = 10;
const CLASS = 'cm2-b';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

interface LessonFile {
  name: string;
  type: string;
  bytes: Uint8Array;
}

/** Lesson n's three files: an image, a worksheet and a text; `variant` makes different bytes. */
function lessonFiles(n: number, variant = 0): LessonFile[] {
  const noise = randomBytes(24_000).toString('base64');
  return [
    {
      name: `schema-${n}.png`,
      type: 'image/png',
      bytes: encodePng(200, 150, (x, y) => [(x * n + variant * 37) % 256, (y * 3 + n) % 256, (x ^ y) % 256, 255]),
    },
    {
      name: `fiche-${n}.pdf`,
      type: 'application/pdf',
      bytes: simplePdf(`Fiche ${n}.${variant}`, [noise.slice(0, 4000)]),
    },
    { name: `notes-${n}.txt`, type: 'text/plain', bytes: new TextEncoder().encode(`Notes ${n}\n${noise}\n`) },
  ];
}

async function api(url: string, path: string, init: RequestInit & { token?: string }) {
  const headers = {
    ...(init.headers as Record<string, string>),
    ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
  };
  const res = await fetch(url + path, { ...init, headers });
  const text = await res.text();
  if (res.status >= 400) throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${text}`);
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

async function signIn(url: string, username: string, secret: string): Promise<string> {
  const r = await api(url, '/api/auth/sign-in', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, secret }),
  });
  return String(r.token);
}

/** Publishes `lessons` as the version after `baseVersion` (0: the week's first). */
async function publish(
  url: string,
  token: string,
  week: string,
  lessons: LessonFile[][],
  changed = -1,
  baseVersion = 0,
) {
  for (const files of lessons)
    for (const f of files)
      await api(url, lessonFileUrl(sha256(f.bytes)), {
        method: 'PUT',
        token,
        headers: { 'content-type': f.type },
        body: f.bytes.slice(),
      });
  const body: PublishBody = {
    lessons: lessons.map((files, i) => ({
      id: `lecon-${i + 1}`,
      title: `Leçon ${i + 1}`,
      order: i + 1,
      body: `# Leçon ${i + 1}\n\n${i === changed ? 'Corrigée : ' : ''}![schéma](schema-${i + 1}.png)`,
      attachments: files.map((f) => ({ sha256: sha256(f.bytes), name: f.name })),
    })),
    assignments: [],
    baseVersion,
  };
  await api(url, publicationUrl(CLASS, week, randomUUID()), {
    method: 'PUT',
    token,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** The device's transport, counting requests and the body bytes they brought, manifests apart (read off the answers). */
function counting(inner: Transport) {
  const counts = { requests: 0, bytes: 0, manifestBytes: 0 };
  const transport: Transport = {
    async send(req) {
      const res = await inner.send(req);
      counts.requests++;
      counts.bytes += res.body.byteLength;
      if (/\/api\/classes\/[^/]+\/weeks\/[^/]+$/.test(req.path)) counts.manifestBytes += res.body.byteLength;
      return res;
    },
  };
  return { transport, counts };
}

const server = await startServer({ LOG_LEVEL: 'error' });
const hello = await startHello();
try {
  const week = addWeeks(isoWeekAt(Date.now(), 'Europe/Paris'), 2);
  const teacher = await signIn(server.url, 'mme.martin', 'tableau-noir');
  const lessons = Array.from({ length: 10 }, (_, i) => lessonFiles(i + 1));
  await publish(server.url, teacher, week, lessons);

  // A device (Léa's) installs version 1 with the real core.
  const pupil = await signIn(server.url, 'lea', 'soleil-12');
  const device = {
    files: new MemoryFileStore(),
    weeks: new MemoryWeekStore(),
    keys: new MemoryKeyStore(),
    hasher: { sha256Hex: async (b: Uint8Array) => sha256(b) },
    clock: realClock,
    verifier: webVerifier,
    headers: { authorization: `Bearer ${pupil}` },
  };
  const first = counting(new FetchTransport(server.url));
  const v1 = await installWeek({ ...device, transport: first.transport }, CLASS, week);
  if (v1.status !== 'installed') throw new Error(`version 1: ${v1.status}`);

  // The teacher corrects lesson 5: its text, its image and its worksheet (the notes stay).
  const corrected = lessons.map((files, i) =>
    i === 4 ? [...lessonFiles(5, 1).slice(0, 2), files[2] as LessonFile] : files,
  );
  await publish(server.url, teacher, week, corrected, 4, 1);
  const changedFiles = corrected[4]?.slice(0, 2) ?? [];
  const changedFilesBytes = changedFiles.reduce((n, f) => n + f.bytes.byteLength, 0);
  const update = counting(new FetchTransport(server.url));
  const v2 = await installWeek({ ...device, transport: update.transport }, CLASS, week);
  if (v2.status !== 'installed' || v2.manifest.version !== 2) throw new Error(`version 2: ${v2.status}`);
  // The manifest's own bytes, from the answers (not the total minus the files: that would hide an extra download).
  const manifestBytes = update.counts.manifestBytes;
  const weekBytes = lessons.flat().reduce((n, f) => n + f.bytes.byteLength, 0);

  // Revalidations: the real server's 304 against a bare hello-world, alternating.
  const etag = String(device.weeks && (await device.weeks.get(CLASS, week))?.etag);
  const revalidate = {
    url: server.url + weekManifestUrl(CLASS, week),
    headers: { authorization: `Bearer ${pupil}`, 'if-none-match': etag },
  };
  // Two client shapes: one request at a time per connection (as devices do), and 10 pipelined (the server saturated,
  // so the client's own cost on these shared cores weighs less).
  const measure = async (pipelining: number) => {
    const rates: { cartable: number[]; hello: number[] } = { cartable: [], hello: [] };
    // Each server's own CPU time per answer: what a request costs it, whatever the shared client managed.
    const cpu: { cartable: number[]; hello: number[] } = { cartable: [], hello: [] };
    let unexpected = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? (['cartable', 'hello'] as const) : (['hello', 'cartable'] as const);
      for (const name of order) {
        const pid = name === 'cartable' ? server.pid() : hello.child.pid;
        const before = cpuSeconds(pid);
        const r = await autocannon({
          ...(name === 'cartable' ? revalidate : { url: hello.url }),
          connections: CONNECTIONS,
          pipelining,
          duration: SECONDS,
        });
        const good = r.statusCodeStats[name === 'cartable' ? '304' : '200']?.count ?? 0;
        unexpected += r.requests.total - good + r.errors;
        rates[name].push(good / SECONDS);
        cpu[name].push((cpuSeconds(pid) - before) / Math.max(1, good));
      }
    }
    // Each round's two measures ran back to back: the median of the rounds' ratios is steadier on a noisy machine
    // than the ratio of the medians.
    const ratio = median(rates.cartable.map((c, i) => c / (rates.hello[i] ?? Number.NaN)));
    // Per-request CPU, inverted: the rate each server could sustain on a core of its own, as a ratio.
    const cpuRatio = median(cpu.hello) / median(cpu.cartable);
    return {
      cartable: median(rates.cartable),
      hello: median(rates.hello),
      ratio,
      cpuMicroseconds: { cartable: median(cpu.cartable) * 1e6, hello: median(cpu.hello) * 1e6 },
      cpuRatio,
      unexpected,
    };
  };
  const single = await measure(1);
  const pipelined = await measure(PIPELINED);
  const cartable = single.cartable;
  const helloRate = single.hello;
  const rates = { unexpected: single.unexpected + pipelined.unexpected };
  const figures = {
    files: lessons.flat().length,
    weekBytes,
    firstInstall: { requests: first.counts.requests, bytes: first.counts.bytes },
    requests: update.counts.requests,
    bytes: update.counts.bytes,
    changedFiles: changedFiles.length,
    changedFilesBytes,
    manifestBytes,
    revalidationsPerSecond: Math.round(cartable),
    helloWorldPerSecond: Math.round(helloRate),
    revalidationRatio: Number(single.ratio.toFixed(3)),
    serverCpuMicrosecondsPer304: Math.round(single.cpuMicroseconds.cartable),
    serverCpuMicrosecondsPerHelloWorld: Math.round(single.cpuMicroseconds.hello),
    cpuRatio: Number(single.cpuRatio.toFixed(3)),
    pipelined: {
      pipelining: PIPELINED,
      revalidationsPerSecond: Math.round(pipelined.cartable),
      helloWorldPerSecond: Math.round(pipelined.hello),
      revalidationRatio: Number(pipelined.ratio.toFixed(3)),
      cpuRatio: Number(pipelined.cpuRatio.toFixed(3)),
    },
    unexpectedAnswers: rates.unexpected,
    rounds: ROUNDS,
    secondsPerRound: SECONDS,
    connections: CONNECTIONS,
  };
  printTable([
    { measure: 'week: files / bytes', figure: `${figures.files} / ${weekBytes}`, goal: '' },
    {
      measure: 'first install: requests / bytes',
      figure: `${first.counts.requests} / ${first.counts.bytes}`,
      goal: '',
    },
    {
      measure: 'after one lesson changed: requests',
      figure: update.counts.requests,
      goal: `${changedFiles.length} files + 1 manifest`,
    },
    {
      measure: 'after one lesson changed: bytes',
      figure: update.counts.bytes,
      goal: `${changedFilesBytes} (files) + manifest`,
    },
    { measure: '  of which the manifest', figure: manifestBytes, goal: '' },
    { measure: 'revalidations (304) per second, median (1 per connection)', figure: Math.round(cartable), goal: '' },
    { measure: 'bare Fastify hello-world per second, median', figure: Math.round(helloRate), goal: '' },
    { measure: 'ratio (median of the rounds’ ratios)', figure: figures.revalidationRatio, goal: '>= 0.8' },
    {
      measure: `same, ${PIPELINED} pipelined: 304/s / hello/s`,
      figure: `${figures.pipelined.revalidationsPerSecond} / ${figures.pipelined.helloWorldPerSecond}`,
      goal: '',
    },
    { measure: `same, ${PIPELINED} pipelined: ratio`, figure: figures.pipelined.revalidationRatio, goal: '' },
    {
      measure: 'server CPU per answer, µs: 304 / hello-world',
      figure: `${figures.serverCpuMicrosecondsPer304} / ${figures.serverCpuMicrosecondsPerHelloWorld}`,
      goal: '',
    },
    { measure: 'ratio from server CPU (hello µs / 304 µs)', figure: figures.cpuRatio, goal: '' },
    { measure: `same, ${PIPELINED} pipelined`, figure: figures.pipelined.cpuRatio, goal: '' },
    { measure: 'unexpected answers', figure: rates.unexpected, goal: '0' },
  ]);
  console.log(`wrote ${writeResults('delta', figures)}`);
} finally {
  hello.child.kill();
  await server.dispose();
}
