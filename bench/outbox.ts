/**
 * bench:outbox — a shared classroom tablet after a week offline: 10,000 homework items queued in IndexedDB drain
 * against the local server through the real app (Chromium, service worker, sync core). Beside it, in the same run,
 * a bare Node client sends 10,000 submissions to the same server with the same concurrency (2): the ratio shows what
 * the device side costs. Also: how long "Mes envois" takes to show its first page with 10,000 items, and to turn a
 * page; the page's peak JS heap and the server's peak RSS; lost and duplicated items, counted in the database.
 *
 * Twice: items written straight into IndexedDB in the plain format, then items queued by the app's own code
 * (bench/page/queue-sealed.ts: sealed at rest and for the server, as every device that knows the server's key
 * queues them). Both drain in batches where the device makes them. Goal: device >= 0.5 x the bare client.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { chromium } from '@playwright/test';
import { build } from 'esbuild';
import { signInAndInstall } from '../e2e/pupil.ts';
import { startServer } from '../e2e/server.ts';
import { CHROMIUM, LAUNCH_ARGS } from '../playwright.config.ts';
import { printTable, writeResults } from './report.ts';

const ITEMS = Number(process.env.BENCH_ITEMS ?? 10_000);
const CONCURRENCY = 2;

/**
 * What the server stored for the items whose text starts with `prefix` (each item's text is its own): `items`, the
 * distinct items stored; `extra`, what a duplicate would leave — a second row for one item (the same work under
 * another id) and any extra version row (the same id stored again with other content).
 */
function countSubmissions(dataDir: string, prefix: string): { items: number; extra: number } {
  const db = new Database(join(dataDir, 'cartable.sqlite'), { readonly: true });
  try {
    const { rows, items } = db
      .prepare('select count(*) as "rows", count(distinct text) as "items" from submissions where text like ?')
      .get(`${prefix}%`) as { rows: number; items: number };
    const { versions } = db
      .prepare(
        `select count(*) as "versions" from submission_versions
         where submission_id in (select id from submissions where text like ?)`,
      )
      .get(`${prefix}%`) as { versions: number };
    return { items, extra: rows - items + versions };
  } finally {
    db.close();
  }
}

/** Peak resident memory of a process, from Linux's /proc (VmHWM), in MB. */
function peakRssMB(pid: number | undefined): number {
  if (!pid) return Number.NaN;
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

const server = await startServer({ LOG_LEVEL: 'error' });
const browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
try {
  const context = await browser.newContext({ locale: 'fr-FR', timezoneId: 'Europe/Paris' });
  const page = await context.newPage();
  // Submission requests the device makes (single PUTs and batches), to say how many items each carried.
  let submissionRequestCount = 0;
  let firstSubmissionAt: number | undefined;
  context.on('request', (r) => {
    if (!/\/api\/submissions\//.test(new URL(r.url()).pathname)) return;
    submissionRequestCount++;
    firstSubmissionAt ??= Date.now();
  });
  const submissionRequests = () => submissionRequestCount;
  await signInAndInstall(page, server.url);
  await context.setOffline(true);

  // A week of homework from a whole class on one tablet, written straight into the device's queue.
  const queued = await page.evaluate(async (count) => {
    const open = indexedDB.open('cartable');
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    // No named helpers in here: tsx wraps them in a __name() call that the page does not have.
    // The signed-in pupil's profile (the only one on this device).
    const session = await new Promise<{ user: { id: string }; classes: { id: string }[] }>((resolve, reject) => {
      const req = db.transaction('profiles').objectStore('profiles').getAll();
      req.onsuccess = () => resolve((req.result as never[])[0] as never);
      req.onerror = () => reject(req.error);
    });
    const classId = session.classes[0]?.id ?? '';
    const weeks = await new Promise<{ week: string; manifest: { assignments: { id: string; title: string }[] } }[]>(
      (resolve) => {
        const req = db.transaction('weeks').objectStore('weeks').getAll();
        req.onsuccess = () => resolve(req.result as never);
      },
    );
    const week = weeks[0];
    const assignment = week?.manifest.assignments[0];
    const tx = db.transaction('outbox', 'readwrite');
    const now = Date.now();
    for (let i = 0; i < count; i++) {
      tx.objectStore('outbox').put({
        id: crypto.randomUUID(),
        owner: session.user.id,
        classId,
        week: week?.week,
        assignmentId: assignment?.id,
        assignmentTitle: assignment?.title,
        text: `bench device ${i}: ${'une réponse écrite hors ligne. '.repeat(4)}`,
        files: [],
        submittedAt: new Date(now - (count - i) * 1000).toISOString(),
        createdAt: now - (count - i) * 1000,
        state: 'pending',
        attempts: 0,
      });
    }
    await new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
    });
    db.close();
    return count;
  }, ITEMS);

  // The outbox screen with 10,000 items, offline.
  let started = Date.now();
  await page.goto(`${server.url}/envois`);
  await page.getByText(/devoirs en attente d’envoi/).waitFor();
  await page.getByText('Page 1 sur').first().waitFor();
  const outboxScreenMs = Date.now() - started;
  started = Date.now();
  await page.getByRole('button', { name: 'Page suivante' }).click();
  await page.getByText('Page 2 sur').first().waitFor();
  const nextPageMs = Date.now() - started;

  // Drain: back online, reload (the app drains at start), sample memory until everything is in the database.
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  // The drain's time runs from the device's first submission request: work that waited offline for long first waits
  // for this device's slot to rejoin (sync/outbox.ts), which is pacing, not sending; that wait is reported apart.
  const drain = async (prefix: string, count: number) => {
    let peakHeapMB = 0;
    firstSubmissionAt = undefined;
    await context.setOffline(false);
    const online = Date.now();
    await page.reload();
    for (;;) {
      const { metrics } = await cdp.send('Performance.getMetrics');
      const heap = metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? 0;
      peakHeapMB = Math.max(peakHeapMB, heap / 2 ** 20);
      if (countSubmissions(server.dataDir, prefix).items >= count) break;
      if (Date.now() - online > 900_000) throw new Error('the drain did not finish in 15 minutes');
      await new Promise((r) => setTimeout(r, 250));
    }
    const began = firstSubmissionAt ?? online;
    const seconds = (Date.now() - began) / 1000;
    const rejoinWaitSeconds = (began - online) / 1000;
    await page.getByText('Rien en attente').waitFor({ timeout: 30_000 });
    return { seconds, rejoinWaitSeconds, peakHeapMB, stored: countSubmissions(server.dataDir, prefix) };
  };
  const plain = await drain('bench device', ITEMS);
  const requestsPlain = submissionRequests();

  // The same on records the app's own code sealed (a shared tablet, or any device that knows the server's key).
  await context.setOffline(true);
  const bundle = await build({
    entryPoints: [join(import.meta.dirname, 'page/queue-sealed.ts')],
    bundle: true,
    format: 'iife',
    write: false,
    logLevel: 'warning',
  });
  await page.evaluate(bundle.outputFiles[0]?.text ?? '');
  const sealedQueued = await page.evaluate(
    (count) =>
      (
        globalThis as unknown as { cartableBenchQueueSealed: (n: number, prefix: string) => Promise<number> }
      ).cartableBenchQueueSealed(count, 'bench sealed'),
    ITEMS,
  );
  const sealed = await drain('bench sealed', sealedQueued);
  const requestsSealed = submissionRequests() - requestsPlain;

  // Baseline: the same number of submissions from a bare HTTP client, same server, same concurrency.
  const token = (await (
    await fetch(`${server.url}/api/auth/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'lea', secret: 'soleil-12' }),
    })
  ).json()) as { token: string };
  const target = (await page.evaluate(async () => {
    const open = indexedDB.open('cartable');
    const db = await new Promise<IDBDatabase>((r) => (open.onsuccess = () => r(open.result)));
    const req = db.transaction('weeks').objectStore('weeks').getAll();
    const weeks = await new Promise<{ week: string; classId: string; manifest: { assignments: { id: string }[] } }[]>(
      (r) => (req.onsuccess = () => r(req.result as never)),
    );
    return { week: weeks[0]?.week, classId: weeks[0]?.classId, assignmentId: weeks[0]?.manifest.assignments[0]?.id };
  })) as { week: string; classId: string; assignmentId: string };
  started = Date.now();
  let next = 0;
  const worker = async () => {
    while (next < ITEMS) {
      const i = next++;
      const res = await fetch(`${server.url}/api/submissions/${randomUUID()}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${token.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          ...target,
          text: `bench raw ${i}: ${'une réponse écrite hors ligne. '.repeat(4)}`,
          files: [],
          submittedAt: new Date().toISOString(),
        }),
      });
      if (res.status !== 201) throw new Error(`baseline PUT answered ${res.status}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const rawSeconds = (Date.now() - started) / 1000;

  const rawRate = ITEMS / rawSeconds;
  const figures = {
    items: queued,
    itemsPerSecond: queued / plain.seconds,
    drainSeconds: plain.seconds,
    baselineRawClientItemsPerSecond: rawRate,
    deviceToRawRatio: queued / plain.seconds / rawRate,
    sealedItems: sealedQueued,
    sealedItemsPerSecond: sealedQueued / sealed.seconds,
    sealedDeviceToRawRatio: sealedQueued / sealed.seconds / rawRate,
    submissionRequestsPerItem: { plain: requestsPlain / queued, sealed: requestsSealed / sealedQueued },
    rejoinWaitSeconds: { plain: plain.rejoinWaitSeconds, sealed: sealed.rejoinWaitSeconds },
    peakMemoryMB: Math.max(plain.peakHeapMB, sealed.peakHeapMB),
    serverPeakRssMB: peakRssMB(server.pid()),
    outboxScreenFirstPageMs: outboxScreenMs,
    outboxScreenNextPageMs: nextPageMs,
    lost: queued - plain.stored.items + (sealedQueued - sealed.stored.items),
    duplicated: plain.stored.extra + sealed.stored.extra,
    concurrency: CONCURRENCY,
  };
  printTable([
    { measure: 'items queued on the device', value: figures.items },
    { measure: 'drain, items/s (device: Chromium + IndexedDB + sync core)', value: figures.itemsPerSecond },
    { measure: 'baseline, items/s (bare Node client, same server)', value: figures.baselineRawClientItemsPerSecond },
    { measure: 'device / baseline', value: figures.deviceToRawRatio },
    { measure: 'drain, sealed items/s (the app sealed them)', value: figures.sealedItemsPerSecond },
    { measure: 'sealed device / baseline', value: figures.sealedDeviceToRawRatio },
    {
      measure: 'submission requests per item, plain / sealed',
      value: `${figures.submissionRequestsPerItem.plain.toFixed(3)} / ${figures.submissionRequestsPerItem.sealed.toFixed(3)}`,
    },
    {
      measure: "wait for the device's rejoin slot before the first send, s (plain / sealed)",
      value: `${plain.rejoinWaitSeconds.toFixed(1)} / ${sealed.rejoinWaitSeconds.toFixed(1)}`,
    },
    { measure: 'page JS heap, peak MB', value: figures.peakMemoryMB },
    { measure: 'server RSS, peak MB', value: figures.serverPeakRssMB },
    { measure: '"Mes envois" first page with all items, ms', value: figures.outboxScreenFirstPageMs },
    { measure: '"Mes envois" next page, ms', value: figures.outboxScreenNextPageMs },
    { measure: 'lost', value: figures.lost },
    { measure: 'duplicated', value: figures.duplicated },
  ]);
  console.log(`written: ${writeResults('outbox', figures)}`);
  await context.close();
} finally {
  await browser.close();
  await server.dispose();
}
