/**
 * The outbox drain: one pass over the queue of writes (homework, publications, returns of copies, read marks), paced
 * by one backoff per server. Each item's own exchange is its kind's sender (outbox-senders.ts); this loop only
 * decides when and how many go.
 *
 *   backoff in force? ──yes──> waiting (nothing sent)
 *        │no
 *        ▼
 *   probe: send the oldest sendable item alone ──retryable failure──> back off (full jitter, >= Retry-After)
 *        │answered
 *        ▼
 *   reset the backoff; send the rest, `concurrency` at a time ──retryable failure──> stop starting new ones, back off
 *
 * Per item: pending → sending (persisted) → its sender (e.g. homework: upload each file the server lacks, PUT it) →
 *   2xx received (receipt kept) | 409 conflict (both versions kept by the server) | other 4xx refused (kept, shown)
 *   | 401 back to pending until the pupil signs in | network, 408, 429, 5xx back to pending (retry later).
 * Nothing is ever deleted here. An item left in `sending` by a crash is sent again: the server's PUT is idempotent.
 *
 * Rejoining: work that has waited more than REJOIN_AFTER_SILENCE_MS with no answer from the server since it was
 * queued (the device's network or the server was down) is not sent at once, whatever woke the device (the `online`
 * event, app start, a timer, Background Sync): it goes at this device's own phase of the server's recovery period,
 * so a school or a region whose network returns all at once comes back spread over one period; without a learnt
 * period, at a random moment below REJOIN_JITTER_CAP_MS. Work queued while the server answers leaves at once.
 */
import { RECOVERY_PERIOD_HEADER, RETRY_SPREAD_HEADER, SEAL_HEADER, submissionBatchUrl } from '../protocol/paths.ts';
import { toBase64Url } from './base64url.ts';
import type { AdaptiveThrottle } from './adaptive-throttle.ts';
import {
  type BackoffPolicy,
  backoffCeiling,
  DEFAULT_BACKOFF,
  delayAfterRejection,
  nextGridTime,
  parseRetryAfter,
} from './backoff.ts';
import { classify } from './outbox-classify.ts';
import { submissionBody } from './submission-body.ts';
import { bodyJson, type Exchange, isRetry, type Outcome, type Retry, SENDERS } from './outbox-senders.ts';
import {
  type Clock,
  kindOf,
  type OutboxItem,
  type OutboxStore,
  type Random,
  type SyncStateStore,
  type Transport,
  TransportError,
  type TransportRequest,
  type TransportResponse,
} from './ports.ts';

export interface OutboxDeps {
  transport: Transport;
  outbox: OutboxStore;
  syncState: SyncStateStore;
  clock: Clock;
  random: Random;
  /** The bearer token of the pupil who owns an item, or undefined when they are not signed in on this device. */
  credentials: (owner: string) => Promise<string | undefined>;
  /** Told when the server rejected an owner's token (401): the pupil must sign in again. */
  onAuthRejected?: (owner: string) => void;
  /** Told after each change of an item, for the UI. */
  onItem?: (item: OutboxItem) => void;
  policy?: BackoffPolicy;
  /** How many items are sent at once once the probe succeeded. */
  concurrency?: number;
  /** Refuses locally when the server has mostly been refusing (kept by the runner across passes). */
  throttle?: AdaptiveThrottle;
  /**
   * Sends an owner's small homework items together (POST /api/submissions/batch, each as idempotent as its own PUT)
   * once the probe succeeded; without it, one request per item.
   */
  batch?: BatchPolicy;
}

/** How many items, and how many bytes of request body, one batch may carry. */
export interface BatchPolicy {
  maxItems: number;
  maxBytes: number;
}

export type DrainResult =
  | { kind: 'idle' }
  | { kind: 'waiting'; until: number }
  | { kind: 'drained'; sent: number; nextDueAt?: number }
  | { kind: 'backing-off'; until: number; sent: number };

const encoder = new TextEncoder();

/** A silence longer than this (no answer from the server) makes the device rejoin on its phase rather than at once. */
export const REJOIN_AFTER_SILENCE_MS = 60_000;
/** Without a recovery period learnt, a rejoining device waits a random time below this (bench:herd, docs). */
export const REJOIN_JITTER_CAP_MS = 5 * 60_000;

/** Items that may be sent now: pending, or left `sending` by an interrupted pass. */
export function sendable(items: OutboxItem[]): OutboxItem[] {
  return items.filter((i) => i.state === 'pending' || i.state === 'sending').sort((a, b) => a.createdAt - b.createdAt);
}

/** Of `items`, those whose first send is due at `now` (see send-peaks.ts), and when the next of the others is. */
export function due(items: OutboxItem[], now: number): { now: OutboxItem[]; nextAt: number | undefined } {
  const ready = items.filter((i) => (i.notBefore ?? 0) <= now);
  const later = items.flatMap((i) => ((i.notBefore ?? 0) > now ? [i.notBefore ?? 0] : []));
  return { now: ready, nextAt: later.length ? Math.min(...later) : undefined };
}

/** One pass over the queue. Must be called under the outbox lock (see OutboxRunner). */
export async function drainOutbox(deps: OutboxDeps): Promise<DrainResult> {
  const backoff = await deps.syncState.getBackoff();
  const now = deps.clock.now();
  if (backoff.nextAttemptAt > now) return { kind: 'waiting', until: backoff.nextAttemptAt };

  const entries = await deps.outbox.list();
  // Work held back by the server's peak hours waits for its time; a pass with nothing due waits for the first.
  const { now: queue, nextAt: nextDueAt } = due(sendable(entries.flatMap((e) => (e.ok ? [e.item] : []))), now);
  if (queue.length === 0 && nextDueAt !== undefined) return { kind: 'waiting', until: nextDueAt };
  const tokens = new Map<string, string | undefined>();
  for (const item of queue) if (!tokens.has(item.owner)) tokens.set(item.owner, await deps.credentials(item.owner));
  const ready = queue.filter((i) => tokens.get(i.owner) !== undefined);
  if (ready.length === 0) return { kind: 'idle' };

  // The server's recovery period, learnt from any answer, and this device's own phase in it (drawn once, kept).
  const pacing: Pacing = {
    periodMs: backoff.recoveryPeriodMs,
    phase: backoff.phase ?? deps.random.next(),
    contactAt: backoff.lastContactAt,
  };
  // Back after a silence: work that has waited longer than the threshold with no answer from the server since it
  // was queued (the device was offline, or the server down) goes at this device's phase, not at the moment the
  // network or the app woke it: devices cut off together then come back spread over one period.
  const waitingSince = Math.min(...ready.map((i) => Math.max(i.createdAt, i.notBefore ?? 0)));
  const heardSince = backoff.lastContactAt !== undefined && backoff.lastContactAt >= waitingSince;
  const paced = backoff.rejoinAt !== undefined && backoff.rejoinAt >= waitingSince;
  if (now - waitingSince > REJOIN_AFTER_SILENCE_MS && !heardSince && !paced) {
    const until = pacing.periodMs
      ? nextGridTime(now, pacing.periodMs, pacing.phase)
      : now + Math.floor(deps.random.next() * REJOIN_JITTER_CAP_MS);
    await deps.syncState.putBackoff({
      ...backoff,
      ...remembered(pacing),
      nextAttemptAt: until,
      rejoinAt: until,
      lastError: 'rejoin',
    });
    return { kind: 'waiting', until };
  }
  const listening = {
    ...deps,
    transport: {
      send: async (request: TransportRequest) => {
        const res = await deps.transport.send(request);
        pacing.contactAt = deps.clock.now();
        const period = Number(res.headers[RECOVERY_PERIOD_HEADER]);
        if (Number.isFinite(period) && period > 0) pacing.periodMs = period * 1000;
        return res;
      },
    },
  };
  const send = (item: OutboxItem) => sendItem(listening, item, tokens.get(item.owner) ?? '', tokens);
  const [probe, ...rest] = ready;
  if (!probe) return { kind: 'idle' };
  // Mostly refused lately: refuse this pass on the device, without adding to the server's load. This says nothing
  // new about the server, so the backoff does not grow: wait within the window the server last advised.
  if (deps.throttle && deps.random.next() < deps.throttle.rejectProbability()) {
    const window = Math.max(
      backoffCeiling(Math.max(0, backoff.failures - 1), deps.policy ?? DEFAULT_BACKOFF),
      backoff.lastSpreadMs ?? 0,
    );
    const until = now + Math.floor(deps.random.next() * window);
    await deps.syncState.putBackoff({
      ...backoff,
      ...remembered(pacing),
      nextAttemptAt: until,
      lastError: 'throttled',
    });
    return { kind: 'backing-off', until, sent: 0 };
  }
  const first = await send(probe);
  if (isRetry(first)) return backOff(deps, pacing, backoff.failures, first, 0);
  await deps.syncState.putBackoff({ failures: 0, nextAttemptAt: 0, ...remembered(pacing) });

  let sent = first === 'done' ? 1 : 0;
  let failure: Retry | undefined;
  let next = 0;
  let batching = deps.batch !== undefined;
  /** The next item, with the items after it that may travel in the same batch. */
  const take = (): { item: OutboxItem; wire: BatchWire }[] => {
    const item = rest[next++];
    if (!item) return [];
    const lead = batching && deps.batch ? batchWire(item) : undefined;
    if (!lead || !deps.batch) return [{ item, wire: lead ?? { id: item.id, bytes: 0 } }];
    const group = [{ item, wire: lead }];
    let bytes = lead.bytes;
    for (let candidate = rest[next]; candidate && group.length < deps.batch.maxItems; candidate = rest[next]) {
      const wire = candidate.owner === item.owner ? batchWire(candidate) : undefined;
      if (!wire || bytes + wire.bytes > deps.batch.maxBytes) break;
      group.push({ item: candidate, wire });
      bytes += wire.bytes;
      next++;
    }
    return group;
  };
  const worker = async () => {
    while (failure === undefined && next < rest.length) {
      const group = take();
      const only = group[0];
      if (!only) break;
      const outcomes =
        group.length === 1
          ? [await send(only.item)]
          : await sendBatch(listening, group, tokens.get(only.item.owner) ?? '', tokens);
      if (outcomes === 'unsupported') {
        batching = false; // an older server, or a proxy that does not pass it: one at a time from now on
        for (const { item } of group) {
          const outcome = await send(item);
          if (isRetry(outcome)) failure ??= outcome;
          else if (outcome === 'done') sent++;
        }
        continue;
      }
      for (const outcome of outcomes) {
        if (isRetry(outcome)) failure ??= outcome;
        else if (outcome === 'done') sent++;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, deps.concurrency ?? 2) }, worker));
  if (failure) return backOff(deps, pacing, 0, failure, sent);
  await deps.syncState.putBackoff({ failures: 0, nextAttemptAt: 0, ...remembered(pacing) });
  return nextDueAt === undefined ? { kind: 'drained', sent } : { kind: 'drained', sent, nextDueAt };
}

/** What the server said about spreading out, where this device sits in it, and when the server last answered. */
interface Pacing {
  periodMs: number | undefined;
  phase: number;
  contactAt: number | undefined;
}

const remembered = (p: Pacing) => ({
  ...(p.periodMs ? { recoveryPeriodMs: p.periodMs } : {}),
  phase: p.phase,
  ...(p.contactAt !== undefined ? { lastContactAt: p.contactAt } : {}),
});

async function backOff(
  deps: OutboxDeps,
  pacing: Pacing,
  failuresBefore: number,
  retry: Retry,
  sent: number,
): Promise<DrainResult> {
  const failures = failuresBefore + 1;
  const now = deps.clock.now();
  // No answer at all: if the server told us its recovery period, come back on this device's own grid, so that all
  // devices return evenly over one period when it is back. A server that answered (503, 429) paces us itself.
  const until =
    retry.error === 'network' && pacing.periodMs
      ? nextGridTime(now, pacing.periodMs, pacing.phase)
      : now +
        delayAfterRejection(
          failures - 1,
          retry.retryAfterMs,
          () => deps.random.next(),
          deps.policy ?? DEFAULT_BACKOFF,
          retry.spreadMs,
        );
  await deps.syncState.putBackoff({
    failures,
    nextAttemptAt: until,
    // Already paced (the server's slot, or this device's grid): coming back then is not a second silence to pace.
    rejoinAt: until,
    lastError: retry.error,
    ...remembered(pacing),
    ...(retry.spreadMs ? { lastSpreadMs: retry.spreadMs } : {}),
  });
  return { kind: 'backing-off', until, sent };
}

/** One item as a batch carries it, and its size in the request body (JSON, approximately). */
interface BatchWire {
  id: string;
  bytes: number;
  submission?: Record<string, unknown>;
  seal?: string;
  sealed?: string;
}

/** Homework without files may go in a batch (files are uploaded first, one by one); other kinds never. */
function batchWire(item: OutboxItem): BatchWire | undefined {
  if (kindOf(item) !== 'homework' || item.files.length > 0 || (item.state !== 'pending' && item.state !== 'sending'))
    return undefined;
  if (item.wire) {
    const seal = `${item.wire.key}.${item.wire.bodyIv}`;
    const sealed = toBase64Url(item.wire.body);
    return { id: item.id, seal, sealed, bytes: seal.length + sealed.length + 80 };
  }
  const submission = submissionBody(item);
  return { id: item.id, submission, bytes: encoder.encode(JSON.stringify(submission)).byteLength + 80 };
}

/**
 * Sends a group of one owner's items in one request. Each item is answered as its own PUT would be and settled so:
 * received with its receipt, conflict, refused, or back to pending (a retry for that item alone). A refusal of the
 * whole request is settled for all as a single item's would be (retry, sign-in); 'unsupported' when the server does
 * not take batches (404, 405) or refused its shape (400, 413, 415): the caller then sends them one by one.
 */
async function sendBatch(
  deps: OutboxDeps,
  group: { item: OutboxItem; wire: BatchWire }[],
  token: string,
  tokens: Map<string, string | undefined>,
): Promise<Outcome[] | 'unsupported'> {
  const owner = group[0]?.item.owner ?? '';
  if (tokens.get(owner) === undefined) return group.map(() => 'skipped');
  const wires = new Map(group.map((g) => [g.item.id, g.wire]));
  const started = await deps.outbox.updateMany([...wires.keys()], (i) =>
    i.state === 'pending' || i.state === 'sending' ? { ...i, state: 'sending', attempts: i.attempts + 1 } : undefined,
  );
  for (const item of started) deps.onItem?.(item);
  if (started.length === 0) return [];
  const settleAll = async (patch: (item: OutboxItem) => Partial<OutboxItem> | undefined) => {
    const settled = await deps.outbox.updateMany(
      started.map((i) => i.id),
      (i) => {
        const change = i.state === 'sending' ? patch(i) : undefined;
        return change ? { ...i, ...change } : undefined;
      },
    );
    for (const item of settled) deps.onItem?.(item);
  };
  const items = started.map((i) => {
    const { bytes: _bytes, ...wire } = wires.get(i.id) ?? { id: i.id, bytes: 0 };
    return wire;
  });
  let res: TransportResponse;
  try {
    res = await deps.transport.send({
      method: 'POST',
      path: submissionBatchUrl(),
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: encoder.encode(JSON.stringify({ items })),
    });
  } catch (err) {
    if (!(err instanceof TransportError)) throw err;
    await settleAll(() => ({ state: 'pending', lastError: 'network' }));
    return [{ retryAfterMs: undefined, error: 'network' }];
  }
  if ([400, 404, 405, 413, 415].includes(res.status)) {
    await settleAll(() => ({ state: 'pending' }));
    return 'unsupported';
  }
  const verdict = classify(res.status);
  const paced = verdict === 'retry' && res.headers['retry-after'] !== undefined;
  if (!paced) deps.throttle?.record(verdict !== 'retry');
  const body = bodyJson(res);
  if (verdict === 'retry') {
    const error = typeof body.error === 'string' ? body.error : `http_${res.status}`;
    const spread = Number(res.headers[RETRY_SPREAD_HEADER]);
    await settleAll(() => ({ state: 'pending', lastError: error }));
    return [
      {
        retryAfterMs: parseRetryAfter(res.headers['retry-after'], deps.clock.now()),
        spreadMs: Number.isFinite(spread) && spread > 0 ? spread * 1000 : undefined,
        error,
      },
    ];
  }
  if (verdict === 'auth') {
    tokens.set(owner, undefined);
    deps.onAuthRejected?.(owner);
    await settleAll(() => ({ state: 'pending', lastError: 'auth' }));
    return ['auth'];
  }
  if (verdict !== 'ok') {
    await settleAll(() => ({ state: 'pending' }));
    return 'unsupported';
  }
  const results = new Map<string, Record<string, unknown>>();
  if (Array.isArray(body.results))
    for (const r of body.results as unknown[])
      if (typeof r === 'object' && r !== null && typeof (r as { id?: unknown }).id === 'string')
        results.set((r as { id: string }).id, r as Record<string, unknown>);
  /** Each item's own answer, as the change to make and what it counts for the pass. */
  const settle = (id: string): { patch: Partial<OutboxItem>; outcome: Outcome } => {
    const r = results.get(id);
    const status = typeof r?.status === 'number' ? r.status : 0;
    const itemVerdict = r ? classify(status) : 'retry';
    const error = typeof r?.error === 'string' ? r.error : `http_${status}`;
    const message = typeof r?.message === 'string' ? r.message : '';
    if (itemVerdict === 'ok') {
      const receipt = r?.receipt as OutboxItem['receipt'];
      return { patch: { state: 'received', ...(receipt ? { receipt } : {}) }, outcome: 'done' };
    }
    if (itemVerdict === 'retry' || itemVerdict === 'auth')
      return { patch: { state: 'pending', lastError: error }, outcome: { retryAfterMs: undefined, error } };
    const refusal = { status, error, message };
    return {
      patch: itemVerdict === 'conflict' ? { state: 'conflict', refusal } : { state: 'refused', refusal },
      outcome: 'done',
    };
  };
  // The store may run a change twice (a record moved meanwhile is read again): decide once, apply as often.
  const decided = new Map(started.map((i) => [i.id, settle(i.id)]));
  await settleAll((i) => decided.get(i.id)?.patch);
  return [...decided.values()].map((d) => d.outcome);
}

async function sendItem(
  deps: OutboxDeps,
  queued: OutboxItem,
  token: string,
  tokens: Map<string, string | undefined>,
): Promise<Outcome> {
  if (tokens.get(queued.owner) === undefined) return 'skipped';
  const started = await deps.outbox.update(queued.id, (i) =>
    i.state === 'pending' || i.state === 'sending' ? { ...i, state: 'sending', attempts: i.attempts + 1 } : undefined,
  );
  if (!started) return 'skipped'; // withdrawn or already settled meanwhile
  deps.onItem?.(started);
  const auth = { authorization: `Bearer ${token}` };

  const settle = async (patch: Partial<OutboxItem>) => {
    const settled = await deps.outbox.update(started.id, (i) =>
      i.state === 'sending' ? { ...i, ...patch } : undefined,
    );
    if (settled) deps.onItem?.(settled);
  };
  const retryLater = async (retry: Retry): Promise<Retry> => {
    await settle({ state: 'pending', lastError: retry.error });
    return retry;
  };
  const answer = async (res: TransportResponse): Promise<Outcome | undefined> => {
    const verdict = classify(res.status);
    // A refusal with Retry-After is already paced by the server: the throttle is for refusals without advice (a bare
    // 502/503 from a proxy or another server), where it is the device's only protection for the server.
    const paced = verdict === 'retry' && res.headers['retry-after'] !== undefined;
    if (!paced) deps.throttle?.record(verdict !== 'retry');
    if (verdict === 'ok') return undefined;
    const body = bodyJson(res);
    const error = typeof body.error === 'string' ? body.error : `http_${res.status}`;
    // The code is what the app words (in the pupil's language); the server's sentence is kept only as a fallback.
    const message = typeof body.message === 'string' ? body.message : '';
    if (verdict === 'retry') {
      const spread = Number(res.headers[RETRY_SPREAD_HEADER]);
      return retryLater({
        retryAfterMs: parseRetryAfter(res.headers['retry-after'], deps.clock.now()),
        spreadMs: Number.isFinite(spread) && spread > 0 ? spread * 1000 : undefined,
        error,
      });
    }
    if (verdict === 'auth') {
      tokens.set(started.owner, undefined);
      deps.onAuthRejected?.(started.owner);
      await settle({ state: 'pending', lastError: 'auth' });
      return 'auth';
    }
    const currentVersion = typeof body.currentVersion === 'number' ? { currentVersion: body.currentVersion } : {};
    if (verdict === 'conflict')
      await settle({ state: 'conflict', refusal: { status: res.status, error, message, ...currentVersion } });
    else await settle({ state: 'refused', refusal: { status: res.status, error, message } });
    return 'done';
  };

  // A sealed item goes out as the ciphertext it is stored as; the server opens it before the route reads it.
  const wire = started.wire;
  const sealed = (iv: string | undefined): Record<string, string> =>
    wire && iv ? { [SEAL_HEADER]: `${wire.key}.${iv}` } : {};
  const exchange: Exchange = {
    deps,
    item: started,
    auth,
    answer,
    settle,
    async upload(fileUrl) {
      for (const file of started.files) {
        const head = await deps.transport.send({ method: 'HEAD', path: fileUrl(file.sha256), headers: auth });
        if (head.status === 200) continue;
        if (head.status !== 404) {
          const outcome = await answer(head);
          if (outcome) return outcome;
        }
        const bytes = await deps.outbox.fileBytes(file.sha256, started.id);
        if (!bytes || (wire && !wire.fileIvs[file.sha256])) {
          const name = file.name || file.sha256.slice(0, 8);
          await settle({
            state: 'refused',
            refusal: { status: 0, error: 'missing_local_file', message: '', file: name },
          });
          return 'done';
        }
        const put = await deps.transport.send({
          method: 'PUT',
          path: fileUrl(file.sha256),
          headers: { ...auth, 'content-type': file.type, ...sealed(wire?.fileIvs[file.sha256]) },
          body: bytes,
        });
        const outcome = await answer(put);
        if (outcome) return outcome;
      }
      return undefined;
    },
    put: (path, body) =>
      deps.transport.send({
        method: 'PUT',
        path,
        headers: { ...auth, 'content-type': 'application/json', ...sealed(wire?.bodyIv) },
        body: wire ? wire.body : encoder.encode(JSON.stringify(body)),
      }),
  };
  try {
    return await SENDERS[kindOf(started)].send(exchange);
  } catch (err) {
    // Not counted by the throttle: it protects a server that answers with refusals; an unreachable one has no load
    // to protect, and the recovery grid paces the return.
    if (err instanceof TransportError) return retryLater({ retryAfterMs: undefined, error: 'network' });
    throw err;
  }
}
