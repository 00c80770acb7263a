/**
 * One sender per kind of queued write: what each item's exchange with the server is, once the drain loop
 * (outbox.ts: backoff, probe, pacing, throttle, concurrency) has decided to send it. The loop hands a sender an
 * Exchange: the item (already marked `sending`), its credentials, and the shared ways to upload files, read an
 * answer and settle the item, so that a new kind is one sender here and nothing in the loop.
 *
 *   homework     files → /api/uploads, then PUT /api/submissions/{id} (sealed when stored sealed) → receipt
 *   publication  files → /api/lesson-files, then PUT the week's publication; merged and sent again on a stale base
 *   feedback     PUT /api/feedback/{id} (a teacher's return of a copy) → the version the server gave it
 *   seen         PUT /api/feedback/{id}/seen (a pupil opened a return)
 */
import {
  feedbackSeenUrl,
  feedbackUrl,
  latestWeekUrl,
  lessonFileUrl,
  publicationUrl,
  submissionUrl,
  uploadUrl,
} from '../protocol/paths.ts';
import type { WeekManifest } from '../protocol/schemas.ts';
import type { OutboxDeps } from './outbox.ts';
import { type OutboxItem, type OutboxKind, type TransportResponse } from './ports.ts';
import { submissionBody } from './submission-body.ts';
import { contentOfManifest, mergeWeeks, type WeekContent } from './week-merge.ts';

/** A retryable failure: how long the server asked us to wait, over how long to spread, and why. */
export interface Retry {
  retryAfterMs: number | undefined;
  spreadMs?: number | undefined;
  error: string;
}

/** What one item's exchange counts for the pass: done (settled), auth (sign-in needed), skipped, or a retry. */
export type Outcome = 'done' | 'auth' | 'skipped' | Retry;

export const isRetry = (o: Outcome): o is Retry => typeof o === 'object';

const decoder = new TextDecoder();

export function bodyJson(res: TransportResponse): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(decoder.decode(res.body));
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** What the drain loop gives a sender for one item. */
export interface Exchange {
  deps: OutboxDeps;
  /** The item as marked `sending`; a sender may update it (a rebased publication). */
  item: OutboxItem;
  auth: Record<string, string>;
  /**
   * Settles the item from a non-2xx answer (retry later, sign-in, conflict, refused) and says what it counts for;
   * undefined for a 2xx, which the sender settles itself.
   */
  answer(res: TransportResponse): Promise<Outcome | undefined>;
  /** Changes the item if it is still `sending` (withdrawn meanwhile: left alone). */
  settle(patch: Partial<OutboxItem>): Promise<void>;
  /** Uploads the item's files the server lacks to `fileUrl`; an outcome when one could not go. */
  upload(fileUrl: (sha256: string) => string): Promise<Outcome | undefined>;
  /** PUTs the item's body (as stored: the ciphertext of a sealed item) to `path`. */
  put(path: string, body: unknown): Promise<TransportResponse>;
}

export interface Sender {
  send(x: Exchange): Promise<Outcome>;
}

const homework: Sender = {
  async send(x) {
    const failed = await x.upload(uploadUrl);
    if (failed) return failed;
    const res = await x.put(submissionUrl(x.item.id), submissionBody(x.item));
    const outcome = await x.answer(res);
    if (outcome) return outcome;
    const receipt = bodyJson(res).receipt as OutboxItem['receipt'];
    await x.settle({ state: 'received', ...(receipt ? { receipt } : {}) });
    return 'done';
  },
};

/** Merges tried for one publication in one pass (another device publishing the same week at that very moment). */
const REBASE_TRIES = 3;
const isStaleBase = (res: TransportResponse) => res.status === 409 && bodyJson(res).error === 'stale_base';

/**
 * The item's publication merged with the week's newest version, based on it; undefined when the merge needs the
 * teacher (an item changed on both sides) or the newest version cannot be read now.
 */
async function rebase(
  x: Exchange,
): Promise<{ publication: NonNullable<OutboxItem['publication']>; base: WeekContent } | undefined> {
  const { item } = x;
  const publication = item.publication;
  if (!publication || !item.publicationBase) return undefined;
  const res = await x.deps.transport.send({
    method: 'GET',
    path: latestWeekUrl(item.classId, item.week),
    headers: x.auth,
  });
  if (res.status !== 200) return undefined;
  const latest = bodyJson(res) as unknown as WeekManifest;
  if (!Array.isArray(latest.lessons) || !Array.isArray(latest.assignments) || typeof latest.version !== 'number')
    return undefined;
  const theirs = contentOfManifest(latest);
  const merge = mergeWeeks(item.publicationBase, publication, theirs);
  if (merge.conflicts.length > 0) return undefined;
  return { publication: { ...publication, ...merge.merged, baseVersion: latest.version }, base: theirs };
}

const publication: Sender = {
  async send(x) {
    const failed = await x.upload(lessonFileUrl);
    if (failed) return failed;
    const { item } = x;
    const put = () => x.put(publicationUrl(item.classId, item.week, item.id), item.publication);
    let res = await put();
    // A publication edited from a version the week has left: merged with what is there now and sent again when no
    // item was changed on both sides; otherwise it stays a conflict for the teacher to settle (nothing overwritten).
    const tries = item.publication !== undefined && !item.wire ? REBASE_TRIES : 0;
    for (let tried = 0; tried < tries && isStaleBase(res); tried++) {
      const rebased = await rebase(x);
      if (!rebased) break;
      const updated = await x.deps.outbox.update(item.id, (i) =>
        i.state === 'sending' ? { ...i, publication: rebased.publication, publicationBase: rebased.base } : undefined,
      );
      if (!updated?.publication) return 'skipped';
      item.publication = updated.publication;
      item.publicationBase = rebased.base;
      res = await put();
    }
    const outcome = await x.answer(res);
    if (outcome) return outcome;
    const body = bodyJson(res);
    const version = typeof body.version === 'number' ? body.version : 0;
    const publishedAt = typeof body.publishedAt === 'string' ? { publishedAt: body.publishedAt } : {};
    await x.settle({ state: 'received', published: { version, ...publishedAt } });
    return 'done';
  },
};

const feedback: Sender = {
  async send(x) {
    const given = x.item.feedback;
    if (!given) {
      await x.settle({ state: 'refused', refusal: { status: 0, error: 'invalid_request', message: '' } });
      return 'done';
    }
    // An annotated copy goes first, to the teacher's own uploads (as homework files do); then the return names it.
    const failed = await x.upload(uploadUrl);
    if (failed) return failed;
    const { submissionId, comment, assessment, writtenAt } = given;
    const files = x.item.files.map(({ sha256, name, type, size }) => ({ sha256, name, type, size }));
    const res = await x.put(feedbackUrl(x.item.id), {
      submissionId,
      comment,
      assessment,
      writtenAt,
      ...(files.length ? { files } : {}),
    });
    const outcome = await x.answer(res);
    if (outcome) return outcome;
    const answered = bodyJson(res).feedback as { version?: unknown; returnedAt?: unknown } | undefined;
    const version = typeof answered?.version === 'number' ? answered.version : 0;
    const returnedAt = typeof answered?.returnedAt === 'string' ? { publishedAt: answered.returnedAt } : {};
    await x.settle({ state: 'received', published: { version, ...returnedAt } });
    return 'done';
  },
};

const seen: Sender = {
  async send(x) {
    const mark = x.item.seen;
    if (!mark) {
      await x.settle({ state: 'refused', refusal: { status: 0, error: 'invalid_request', message: '' } });
      return 'done';
    }
    const res = await x.put(feedbackSeenUrl(mark.feedbackId), { seenAt: mark.seenAt });
    const outcome = await x.answer(res);
    if (outcome) return outcome;
    await x.settle({ state: 'received' });
    return 'done';
  },
};

/** The sender of each kind. */
export const SENDERS: Record<OutboxKind, Sender> = { homework, publication, feedback, seen };
