/**
 * How a pupil's records are kept at rest: drafts and the private part of queued homework sealed to their profile,
 * the homework itself encrypted under a body key that is sealed both to the server (so the device can send it after
 * the pupil has left) and, inside the private part, to the pupil (so they can take it back to edit it).
 *
 * A teacher's publication, and work queued before profiles existed, stay plain (nothing private about a published
 * lesson; old records are read as they were written).
 */
import { submissionBody } from '../sync/submission-body.ts';
import { kindOf, type OutboxItem, type StoredFile } from '../sync/ports.ts';
import {
  decryptBody,
  encryptBody,
  fromBase64Url,
  importBodyKey,
  newBodyKey,
  openJson,
  type Sealed,
  sealForServer,
  sealJson,
  toBase64Url,
} from './crypto-box.ts';
import type { CartableDb, DraftRecord, SealedDraft, SealedFileRecord } from './db.ts';
import type { Keyring } from './profiles.ts';

/** What sealing needs: owners' public keys, the unlocked private keys, the server's sealing key. */
export interface Sealing {
  keyring: Keyring;
  publicKeyOf(owner: string): Promise<string | undefined>;
  serverKey(): Promise<{ keyId: string; publicKey: string } | undefined>;
}

/** Sealing over the device database: public keys from the profiles, the server's key kept at sign-in. */
export function dbSealing(db: CartableDb, keyring: Keyring): Sealing {
  return {
    keyring,
    publicKeyOf: async (owner) => (await db.get('profiles', owner))?.publicKey,
    serverKey: async () => {
      const found = await db.get('device', 'sealing');
      return found && 'publicKey' in found ? { keyId: found.keyId, publicKey: found.publicKey } : undefined;
    },
  };
}

/** The private fields of a queued piece of homework, and its body key. */
interface PrivatePart {
  classId: string;
  week: string;
  assignmentId: string;
  assignmentTitle: string;
  text: string;
  names: string[];
  submittedAt: string;
  bodyKey: string;
}

/** An outbox record as stored: an item with its private fields blank, plus the sealed parts. */
export type StoredOutboxRecord = OutboxItem & { vault?: Sealed; receiptVault?: Sealed; rev?: number };

const utf8 = new TextEncoder();

/** Seals a new item, or leaves it plain (publications; no profile or server key known). */
export async function sealNewItem(
  sealing: Sealing,
  item: OutboxItem,
  files: StoredFile[],
): Promise<{ record: StoredOutboxRecord; sealedFiles: SealedFileRecord[] } | undefined> {
  // Only homework is a pupil's private work kept for the server; a publication or a teacher's return is the
  // teacher's, on their own device, and a read mark says nothing but which return was opened.
  if (kindOf(item) !== 'homework') return undefined;
  const [publicKey, server] = await Promise.all([sealing.publicKeyOf(item.owner), sealing.serverKey()]);
  if (!publicKey || !server) return undefined;
  const bodyKey = await newBodyKey();
  const body = await encryptBody(bodyKey, utf8.encode(JSON.stringify(submissionBody(item))));
  const fileIvs: Record<string, string> = {};
  const sealedFiles: SealedFileRecord[] = [];
  for (const f of files) {
    const enc = await encryptBody(bodyKey, f.bytes);
    fileIvs[f.sha256] = enc.iv;
    sealedFiles.push({ item: item.id, sha256: f.sha256, bytes: enc.ct.buffer as ArrayBuffer });
  }
  const privatePart: PrivatePart = {
    classId: item.classId,
    week: item.week,
    assignmentId: item.assignmentId,
    assignmentTitle: item.assignmentTitle,
    text: item.text,
    names: item.files.map((f) => f.name),
    submittedAt: item.submittedAt,
    bodyKey: toBase64Url(bodyKey.raw),
  };
  const record: StoredOutboxRecord = {
    ...blank(item),
    wire: { key: await sealForServer(server, bodyKey), body: body.ct, bodyIv: body.iv, fileIvs },
    vault: await sealJson(publicKey, privatePart),
    rev: 0,
  };
  return { record, sealedFiles };
}

function blank(item: OutboxItem): OutboxItem {
  const { receipt: _r, locked: _l, ...rest } = item;
  return {
    ...rest,
    classId: '',
    week: '',
    assignmentId: '',
    assignmentTitle: '',
    text: '',
    submittedAt: '',
    files: item.files.map((f) => ({ ...f, name: '' })),
  };
}

/**
 * The item without its private fields (`locked`, as the service worker sees every record): what a change of state
 * needs, at no WebCrypto cost.
 */
export function lockedView(record: StoredOutboxRecord): OutboxItem {
  const { vault, receiptVault: _receipt, rev: _rev, ...item } = record;
  return vault ? { ...item, locked: true } : item;
}

/**
 * What this page has already opened, per private key. A queued record's vault never changes, nor its receipt's once
 * set, so reading the queue again ("Mes envois" while a week's queue drains, each drain's pass) costs no ECDH after
 * the first read: without it, every re-read of 10,000 sealed items made 10,000 agreements. Held per CryptoKey: when
 * the keyring forgets a pupil's key (another pupil's turn), nothing opened with it can be reached any more.
 */
const opened = new WeakMap<CryptoKey, Map<string, unknown>>();
const OPENED_MAX = 50_000;

async function openOnce<T extends object>(key: CryptoKey, sealed: Sealed): Promise<T> {
  let cache = opened.get(key);
  if (!cache) {
    cache = new Map();
    opened.set(key, cache);
  }
  // The ephemeral public key is new for every seal: it names this sealed value.
  const known = cache.get(sealed.e);
  if (known) return known as T;
  const value = Object.freeze(await openJson<T>(key, sealed));
  if (cache.size >= OPENED_MAX) cache.clear();
  cache.set(sealed.e, value);
  return value;
}

/** The item a record holds: whole when its owner's profile is unlocked here, `locked` with blank fields otherwise. */
export async function openRecord(sealing: Sealing, record: StoredOutboxRecord): Promise<OutboxItem> {
  const { vault, receiptVault, rev: _rev, ...item } = record;
  if (!vault) return item;
  const key = sealing.keyring.get(record.owner);
  if (!key) return { ...item, locked: true };
  try {
    const p = await openOnce<PrivatePart>(key, vault);
    const receipt = receiptVault
      ? { ...(await openOnce<NonNullable<OutboxItem['receipt']>>(key, receiptVault)) }
      : undefined;
    return {
      ...item,
      classId: p.classId,
      week: p.week,
      assignmentId: p.assignmentId,
      assignmentTitle: p.assignmentTitle,
      text: p.text,
      submittedAt: p.submittedAt,
      files: item.files.map((f, i) => ({ ...f, name: p.names[i] ?? '' })),
      ...(receipt ? { receipt } : {}),
    };
  } catch {
    return { ...item, locked: true };
  }
}

/**
 * The record to store after a change of `next` (read from `stored`). The private part of a sealed record never
 * changes once queued; a new receipt is sealed to the owner (the pupil may have left: their public key suffices).
 */
export async function resealRecord(
  sealing: Sealing,
  stored: StoredOutboxRecord,
  next: OutboxItem,
): Promise<StoredOutboxRecord> {
  if (!stored.vault) return next;
  const record: StoredOutboxRecord = { ...blank(next), vault: stored.vault, rev: (stored.rev ?? 0) + 1 };
  if (stored.receiptVault) record.receiptVault = stored.receiptVault;
  else if (next.receipt) {
    const publicKey = await sealing.publicKeyOf(next.owner);
    if (publicKey) record.receiptVault = await sealJson(publicKey, next.receipt);
  }
  return record;
}

/** The plain bytes of a file of a sealed item, for its owner (taking the item back to edit it). */
export async function openItemFile(
  sealing: Sealing,
  record: StoredOutboxRecord,
  file: SealedFileRecord,
): Promise<Uint8Array | undefined> {
  const key = sealing.keyring.get(record.owner);
  const iv = record.wire?.fileIvs[file.sha256];
  if (!key || !record.vault || !iv) return undefined;
  const p = await openJson<PrivatePart>(key, record.vault);
  return decryptBody(await importBodyKey(fromBase64Url(p.bodyKey)), iv, new Uint8Array(file.bytes));
}

/** A draft as stored: sealed to its owner, or plain (no profile: written before profiles existed). */
export type StoredDraft = DraftRecord | SealedDraft;

interface DraftPart {
  text: string;
  files: { sha256: string; name: string; type: string; size: number; bytes: string }[];
}

export async function sealDraft(sealing: Sealing, draft: DraftRecord): Promise<StoredDraft> {
  const publicKey = await sealing.publicKeyOf(draft.owner);
  if (!publicKey) return draft;
  const part: DraftPart = {
    text: draft.text,
    files: draft.files.map((f) => ({ ...f, bytes: toBase64Url(f.bytes) })),
  };
  return { key: draft.key, owner: draft.owner, updatedAt: draft.updatedAt, sealed: await sealJson(publicKey, part) };
}

/** The draft, or undefined while its owner's profile is locked. */
export async function openDraft(sealing: Sealing, stored: StoredDraft): Promise<DraftRecord | undefined> {
  if (!('sealed' in stored)) return stored;
  const key = sealing.keyring.get(stored.owner);
  if (!key) return undefined;
  const part = await openJson<DraftPart>(key, stored.sealed);
  return {
    key: stored.key,
    owner: stored.owner,
    updatedAt: stored.updatedAt,
    text: part.text,
    files: part.files.map((f) => ({ ...f, bytes: fromBase64Url(f.bytes).buffer })),
  };
}
