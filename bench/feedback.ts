/**
 * bench:feedback — what the way back costs: requests and bytes per pupil's device to keep its teacher's returns
 * up to date, on the real server, with the device's real store (FeedbackStore over IndexedDB, fake-indexeddb here).
 *
 * A class of 30 pupils (the demo's 3 and 27 imported) each hand in the fractions. Every device fetches its returns
 * once (the first fetch), then:
 * - "nothing new": every device checks again, as it does at start, on coming online, every 30 minutes;
 * - "one new return each": the teacher returns all 30 copies, then every device checks;
 * - "nothing new again": a check after that.
 * Counted at each device's transport: requests, statuses, response body bytes (and header bytes as sent by the
 * server). Goal (issue 16): nothing new costs at most one 304; a new return costs each device one small request.
 */
import 'fake-indexeddb/auto';
import { randomUUID } from 'node:crypto';
import { startServer } from '../e2e/server.ts';
import { isoWeekAt } from '../src/protocol/iso-week.ts';
import { feedbackUrl, submissionUrl } from '../src/protocol/paths.ts';
import { openCartableDb } from '../src/storage/db.ts';
import { generateProfileKeys } from '../src/storage/crypto-box.ts';
import { FeedbackStore, fetchSealedReturns } from '../src/storage/feedback-store.ts';
import type { TransportRequest, TransportResponse } from '../src/sync/ports.ts';
import { median, printTable, writeResults } from './report.ts';

const PUPILS = 30;
const CLASS = 'cm2-b';

async function json(url: string, init: RequestInit & { token?: string }): Promise<Record<string, unknown>> {
  const headers = {
    ...(init.headers as Record<string, string>),
    ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
  };
  const res = await fetch(url, { ...init, headers });
  const text = await res.text();
  if (res.status >= 400) throw new Error(`${init.method ?? 'GET'} ${url}: ${res.status} ${text}`);
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

const signInFull = async (base: string, username: string, secret: string) =>
  (await json(`${base}/api/auth/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, secret }),
  })) as { token: string; deviceToken: string };
const signIn = async (base: string, username: string, secret: string) =>
  (await signInFull(base, username, secret)).token;

interface Exchange {
  status: number;
  bodyBytes: number;
  headerBytes: number;
}

/** Requests to the server with every exchange counted; `token`, when given, as the session's bearer. */
function countingSession(base: string, token: string | undefined, log: Exchange[]) {
  return {
    async send(r: TransportRequest): Promise<TransportResponse> {
      const res = await fetch(base + r.path, {
        method: r.method,
        headers: { ...r.headers, ...(token ? { authorization: `Bearer ${token}` } : {}) },
      });
      const body = new Uint8Array(await res.arrayBuffer());
      const headers: Record<string, string> = {};
      let headerBytes = `HTTP/1.1 ${res.status}\r\n`.length;
      for (const [k, v] of res.headers) {
        headers[k] = v;
        headerBytes += k.length + v.length + 4;
      }
      log.push({ status: res.status, bodyBytes: body.byteLength, headerBytes });
      return { status: res.status, headers, body };
    },
  };
}

async function main() {
  const server = await startServer();
  try {
    const base = server.url;
    const week = isoWeekAt(Date.now(), 'Europe/Paris');
    const admin = await signIn(base, 'mme.roux', 'craie-blanche');
    const csv = `prenom;nom\n${Array.from({ length: PUPILS - 3 }, (_, i) => `Élève;Numéro${i + 1}`).join('\n')}\n`;
    const imported = (await json(`${base}/api/classes/${CLASS}/pupils/import`, {
      method: 'POST',
      token: admin,
      headers: { 'content-type': 'text/csv' },
      body: csv,
    })) as { created: { username: string; secret: string }[] };
    const accounts = [
      { username: 'lea', secret: 'soleil-12' },
      { username: 'hugo', secret: 'nuage-34' },
      { username: 'ines', secret: 'pluie-56' },
      ...imported.created,
    ];
    const teacher = await signIn(base, 'mme.martin', 'tableau-noir');
    const devices: {
      owner: string;
      copy: string;
      store: FeedbackStore;
      log: Exchange[];
      session: ReturnType<typeof countingSession>;
      worker: { db: Awaited<ReturnType<typeof openCartableDb>>; deviceToken: string; log: Exchange[] };
    }[] = [];
    for (const [i, account] of accounts.entries()) {
      const { token, deviceToken } = await signInFull(base, account.username, account.secret);
      // What the app does once signed in: bind its profile key to the device token (the worker's sealed fetch).
      const profile = await generateProfileKeys();
      await json(`${base}/api/auth/device-key`, {
        method: 'POST',
        token,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ deviceToken, publicKey: profile.publicKey }),
      });
      const copy = randomUUID();
      await json(base + submissionUrl(copy), {
        method: 'PUT',
        token,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          classId: CLASS,
          week,
          assignmentId: 'exercices-fractions',
          text: `Copie ${i}`,
          files: [],
          submittedAt: new Date().toISOString(),
        }),
      });
      const log: Exchange[] = [];
      const store = new FeedbackStore(await openCartableDb(`bench-feedback-${i}`));
      const db = await openCartableDb(`bench-feedback-worker-${i}`);
      devices.push({
        owner: account.username,
        copy,
        store,
        log,
        session: countingSession(base, token, log),
        worker: { db, deviceToken, log: [] as Exchange[] },
      });
    }
    /** What `exchanges` (one device's, since one check began) cost it. */
    const cost = (exchanges: Exchange[]) => ({
      requests: exchanges.length,
      bodyBytes: exchanges.reduce((sum, e) => sum + e.bodyBytes, 0),
      headerBytes: exchanges.reduce((sum, e) => sum + e.headerBytes, 0),
      statuses: exchanges.map((e) => e.status).join(','),
    });
    /** Every device checks once, as the open app does; what that check cost each device. */
    const check = async () => {
      const costs = [];
      for (const d of devices) {
        const before = d.log.length;
        await d.store.fetch(d.session, d.owner, Date.now());
        costs.push(cost(d.log.slice(before)));
      }
      return costs;
    };
    /** The worker at the slot: each device's profile fetched with its device token, answered sealed. */
    const slot = async () => {
      const costs = [];
      for (const d of devices) {
        const before = d.worker.log.length;
        // The device token travels in the request's own headers (fetchSealedReturns sets it).
        const transport = countingSession(base, undefined, d.worker.log);
        await fetchSealedReturns(
          d.worker.db,
          transport,
          [{ userId: d.owner, deviceToken: d.worker.deviceToken }],
          Date.now(),
        );
        costs.push(cost(d.worker.log.slice(before)));
      }
      return costs;
    };
    const row = (scenario: string, costs: Awaited<ReturnType<typeof check>>) => ({
      scenario,
      devices: costs.length,
      'requests/device': median(costs.map((c) => c.requests)),
      'max requests': Math.max(...costs.map((c) => c.requests)),
      statuses: [...new Set(costs.map((c) => c.statuses))].join(' '),
      'body bytes/device': median(costs.map((c) => c.bodyBytes)),
      'header bytes/device': median(costs.map((c) => c.headerBytes)),
    });
    const rows = [row('first fetch (nothing returned yet)', await check())];
    rows.push(row('nothing new', await check()));
    rows.push(row('slot, device token (sealed): first fetch', await slot()));
    rows.push(row('slot, device token (sealed): nothing new', await slot()));
    for (const d of devices)
      await json(base + feedbackUrl(randomUUID()), {
        method: 'PUT',
        token: teacher,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          submissionId: d.copy,
          comment: 'Très bien pour le 1 et le 2, **refais l’exercice 3** : pense au dénominateur commun.',
          assessment: { kind: 'mark', mark: 14, outOf: 20 },
          writtenAt: new Date().toISOString(),
        }),
      });
    rows.push(row('one new return each', await check()));
    rows.push(row('slot, device token (sealed): one new return each', await slot()));
    rows.push(row('nothing new again', await check()));
    rows.push(row('slot, device token (sealed): nothing new again', await slot()));
    // Each device now holds its return, readable with no network.
    const held = (await Promise.all(devices.map(async (d) => (await d.store.list(d.owner))?.length ?? 0))).filter(
      (n) => n === 1,
    ).length;
    const heldSealed = (
      await Promise.all(devices.map(async (d) => (await d.worker.db.get('feedback', d.owner))?.sealed !== undefined))
    ).filter(Boolean).length;
    printTable(rows);
    console.log(
      `devices holding their return after the check: ${held} of ${devices.length} (sealed, from the slot: ${heldSealed})`,
    );
    const quiet = rows[1];
    const fresh = rows[2];
    const goals = {
      nothingNewAtMostOne304:
        quiet?.['max requests'] === 1 && quiet.statuses === '304' && quiet['body bytes/device'] === 0,
      newReturnOneRequest: fresh?.['max requests'] === 1 && fresh.statuses === '200' && held === devices.length,
    };
    console.log(
      `goals: nothing new = one 304 ${goals.nothingNewAtMostOne304 ? '✓' : '✗'}; a new return = one request ${goals.newReturnOneRequest ? '✓' : '✗'}`,
    );
    console.log(`results: ${writeResults('feedback', { pupils: PUPILS, rows, held, heldSealed, goals })}`);
  } finally {
    await server.dispose();
  }
}

await main();
