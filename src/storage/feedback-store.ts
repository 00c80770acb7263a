/**
 * A pupil's returned copies on the device: fetched with their own session (GET /api/feedback, revalidated by ETag so
 * a device with nothing new pays one 304) and kept sealed to their profile like drafts and receipts, so the next
 * pupil on a shared tablet cannot read them. Read offline; opening one queues a read mark through the outbox.
 */
import {
  deviceKeyUrl,
  feedbackFileUrl,
  myFeedbackUrl,
  PENDING_HEADER,
  PENDING_MAX,
  SEALED_FILE_HEADER,
} from '../protocol/paths.ts';
import type { FeedbackListReply, FeedbackView, SealedFeedbackReply } from '../protocol/schemas.ts';
import { kindOf, type OutboxItem, type Transport } from '../sync/ports.ts';

/** Sends a request with the pupil's session (app/session.ts renews its access token). */
type SessionTransport = Pick<Transport, 'send'>;
import {
  decryptBody,
  encryptBody,
  fromBase64Url,
  importBodyKey,
  newBodyKey,
  openJson,
  openSeal,
  type Sealed,
  seal,
  sealJson,
} from './crypto-box.ts';
import type { CartableDb, FeedbackRecord } from './db.ts';
import type { Sealing } from './record-sealing.ts';

/** The homework of `owner` still waiting in the queue, as PENDING_HEADER names it (ids only). */
export function pendingOf(items: readonly OutboxItem[], owner: string): string[] {
  const triples = items
    .filter((i) => i.owner === owner && kindOf(i) === 'homework' && (i.state === 'pending' || i.state === 'sending'))
    .map((i) => `${i.classId}/${i.week}/${i.assignmentId}`);
  return [...new Set(triples)].slice(0, PENDING_MAX);
}

const pendingHeader = (pending: string[] | undefined): Record<string, string> =>
  pending ? { [PENDING_HEADER]: pending.join(',') } : {};

export type FeedbackFetch = 'changed' | 'unchanged' | 'offline' | 'refused';

export class FeedbackStore {
  constructor(
    private readonly db: CartableDb,
    private readonly sealing?: Sealing,
  ) {}

  /** The owner's returns as last fetched; undefined when none were, or their profile is locked in this page. */
  async list(owner: string): Promise<FeedbackView[] | undefined> {
    const stored = await this.db.get('feedback', owner);
    if (!stored) return undefined;
    if (stored.feedback) return stored.feedback;
    const key = stored.sealed && this.sealing?.keyring.get(owner);
    if (!key || !stored.sealed) return undefined;
    return openJson<FeedbackView[]>(key, stored.sealed);
  }

  /** Keeps the owner's returns, sealed to their profile when it has a key. */
  async save(owner: string, etag: string, feedback: FeedbackView[], fetchedAt: number): Promise<void> {
    const publicKey = await this.sealing?.publicKeyOf(owner);
    const record: FeedbackRecord = publicKey
      ? { owner, etag, fetchedAt, sealed: await sealJson(publicKey, feedback) }
      : { owner, etag, fetchedAt, feedback };
    await this.db.put('feedback', record);
  }

  /**
   * Asks the server for the owner's returns through their session: one 304 when nothing changed since the
   * last fetch. Never throws for the network or a refusal: the device keeps what it has.
   */
  async fetch(transport: SessionTransport, owner: string, now: number, pending?: string[]): Promise<FeedbackFetch> {
    const stored = await this.db.get('feedback', owner);
    // An ETag is worth sending only if what it stands for can be read here (a locked profile's copy cannot).
    const readable = stored && (stored.feedback || this.sealing?.keyring.get(owner));
    let res;
    try {
      res = await transport.send({
        method: 'GET',
        path: myFeedbackUrl(),
        headers: { ...(readable ? { 'if-none-match': stored.etag } : {}), ...pendingHeader(pending) },
      });
    } catch {
      return 'offline';
    }
    if (res.status === 304) return 'unchanged';
    if (res.status !== 200) return 'refused';
    const body = JSON.parse(new TextDecoder().decode(res.body)) as FeedbackListReply;
    if (!Array.isArray(body.feedback)) return 'refused';
    await this.save(owner, res.headers.etag ?? '', body.feedback, now);
    return 'changed';
  }
}

/**
 * The returns of each profile on the device, fetched with its device token as a tablet does at its off-peak slot
 * with nobody signed in: the server answers them sealed to the profile key bound to that token, stored as they
 * come (nothing to open or seal here). One 304 per profile when nothing changed.
 */
export async function fetchSealedReturns(
  db: CartableDb,
  transport: Transport,
  profiles: readonly { userId: string; deviceToken?: string; deviceRejected?: boolean }[],
  now: number,
  pendingFor: (owner: string) => string[] | undefined = () => undefined,
): Promise<Record<string, FeedbackFetch>> {
  const outcomes: Record<string, FeedbackFetch> = {};
  for (const p of profiles) {
    if (!p.deviceToken || p.deviceRejected) continue;
    const stored = await db.get('feedback', p.userId);
    let res;
    try {
      res = await transport.send({
        method: 'GET',
        path: myFeedbackUrl(),
        headers: {
          authorization: `Bearer ${p.deviceToken}`,
          ...(stored?.sealed ? { 'if-none-match': stored.etag } : {}),
          ...pendingHeader(pendingFor(p.userId)),
        },
      });
    } catch {
      outcomes[p.userId] = 'offline';
      continue;
    }
    if (res.status === 304) outcomes[p.userId] = 'unchanged';
    else if (res.status !== 200) outcomes[p.userId] = 'refused';
    else {
      const body = JSON.parse(new TextDecoder().decode(res.body)) as Partial<SealedFeedbackReply>;
      if (!body.sealed) outcomes[p.userId] = 'refused';
      else {
        await db.put('feedback', {
          owner: p.userId,
          etag: res.headers.etag ?? '',
          fetchedAt: now,
          sealed: body.sealed,
        });
        outcomes[p.userId] = 'changed';
        // The files it lacks, each encrypted by the server to the profile: stored as they come.
        for (const f of body.files ?? []) {
          if (await db.get('feedbackFiles', [p.userId, f.sha256])) continue;
          const file = await transport
            .send({
              method: 'GET',
              path: feedbackFileUrl(f.feedbackId, f.sha256),
              headers: { authorization: `Bearer ${p.deviceToken}` },
            })
            .catch(() => undefined);
          const [iv, sealedKey] = (file?.headers[SEALED_FILE_HEADER] ?? '').split('.');
          if (file?.status !== 200 || !iv || !sealedKey) continue;
          const key = JSON.parse(new TextDecoder().decode(fromBase64Url(sealedKey))) as Sealed;
          await db.put('feedbackFiles', {
            owner: p.userId,
            sha256: f.sha256,
            iv,
            key,
            bytes: file.body.slice().buffer,
          });
        }
      }
    }
  }
  return outcomes;
}

/**
 * The files of `returns` the device lacks, fetched with the pupil's session and stored encrypted under a fresh key
 * sealed to their profile (plain when the profile has no key).
 */
export async function fetchReturnedFiles(
  db: CartableDb,
  session: SessionTransport,
  sealing: Sealing | undefined,
  owner: string,
  returns: readonly FeedbackView[],
): Promise<number> {
  let fetched = 0;
  const publicKey = await sealing?.publicKeyOf(owner);
  for (const given of returns)
    for (const f of given.files) {
      if (await db.get('feedbackFiles', [owner, f.sha256])) continue;
      const res = await session
        .send({ method: 'GET', path: feedbackFileUrl(given.feedbackId, f.sha256) })
        .catch(() => undefined);
      if (res?.status !== 200) continue;
      if (publicKey) {
        const bodyKey = await newBodyKey();
        const { iv, ct } = await encryptBody(bodyKey, res.body);
        const key = await seal(publicKey, bodyKey.raw);
        await db.put('feedbackFiles', { owner, sha256: f.sha256, iv, key, bytes: ct.slice().buffer });
      } else await db.put('feedbackFiles', { owner, sha256: f.sha256, bytes: res.body.slice().buffer });
      fetched++;
    }
  return fetched;
}

/** A returned file's bytes, opened with the owner's unlocked key; undefined when absent or locked. */
export async function openReturnedFile(
  db: CartableDb,
  sealing: Sealing | undefined,
  owner: string,
  sha256: string,
): Promise<Uint8Array | undefined> {
  const stored = await db.get('feedbackFiles', [owner, sha256]);
  if (!stored) return undefined;
  if (!stored.key || !stored.iv) return new Uint8Array(stored.bytes);
  const privateKey = sealing?.keyring.get(owner);
  if (!privateKey) return undefined;
  const raw = await openSeal(privateKey, stored.key);
  return decryptBody(await importBodyKey(raw), stored.iv, new Uint8Array(stored.bytes));
}

/**
 * Binds the profile's public key to its device token (once, with the pupil's own session), so the tablet may fetch
 * this pupil's returns sealed at its off-peak slot. True when bound (now or before).
 */
export async function bindProfileKey(
  session: SessionTransport,
  profile: { deviceToken?: string; publicKey: string },
): Promise<boolean> {
  if (!profile.deviceToken) return false;
  try {
    const res = await session.send({
      method: 'POST',
      path: deviceKeyUrl(),
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ deviceToken: profile.deviceToken, publicKey: profile.publicKey }),
    });
    return res.status === 204;
  } catch {
    return false;
  }
}

/** The read mark of a return, as queued in the outbox (kind 'seen'); the id makes it idempotent per return. */
export function seenItem(owner: string, given: FeedbackView, now: Date): OutboxItem {
  return {
    // One mark per return and pupil: queued twice, it is the same item (the store refuses a second add).
    id: `seen-${given.feedbackId}`,
    kind: 'seen',
    owner,
    classId: given.classId,
    week: given.week,
    assignmentId: given.assignmentId,
    assignmentTitle: '',
    text: '',
    files: [],
    submittedAt: now.toISOString(),
    createdAt: now.getTime(),
    state: 'pending',
    attempts: 0,
    seen: { feedbackId: given.feedbackId, seenAt: now.toISOString() },
  };
}
