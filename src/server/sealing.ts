/**
 * Opening bodies sealed to the server (protocol: SEAL_HEADER in src/protocol/paths.ts). The ECDH P-256 key pair lives
 * in the database, like the signing key, so every instance opens what a device sealed for any of them; it is published
 * at /api/keys. A preParsing hook replaces a sealed body by its plain bytes, so routes never know the difference.
 */
import { randomUUID, webcrypto } from 'node:crypto';
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { MAX_HOMEWORK_FILE_BYTES } from '../protocol/homework-files.ts';
import { MAX_LESSON_FILE_BYTES } from '../protocol/lesson-files.ts';
import { SEAL_HEADER, SEAL_INFO } from '../protocol/paths.ts';
import { bearerToken, liveToken } from './auth/authenticate.ts';
import type { AppContext } from './context.ts';
import type { Db } from './db/schema.ts';
import { HttpError, unauthorized } from './errors.ts';

const subtle = webcrypto.subtle;

export interface SealingKey {
  keyId: string;
  /** Raw uncompressed point, base64url. */
  publicKey: string;
  privateKey: webcrypto.CryptoKey;
}

const P256 = { name: 'ECDH', namedCurve: 'P-256' } as const;

async function fromRow(row: { key_id: string; public_key: string; private_key: string }): Promise<SealingKey> {
  const privateKey = await subtle.importKey('pkcs8', Buffer.from(row.private_key, 'base64'), P256, false, [
    'deriveBits',
  ]);
  return { keyId: row.key_id, publicKey: row.public_key, privateKey };
}

/** The server's sealing keys, newest first; the first call creates one. Cached per database. */
const cache = new WeakMap<Db, Promise<SealingKey[]>>();

export function sealingKeys(db: Db, nowIso: string): Promise<SealingKey[]> {
  let keys = cache.get(db);
  if (!keys) {
    keys = loadOrCreate(db, nowIso);
    keys.catch(() => cache.delete(db));
    cache.set(db, keys);
  }
  return keys;
}

async function loadOrCreate(db: Db, nowIso: string): Promise<SealingKey[]> {
  const rows = async () => db.selectFrom('sealing_keys').selectAll().orderBy('created_at', 'desc').execute();
  let found = await rows();
  if (found.length === 0) {
    const pair = await subtle.generateKey(P256, true, ['deriveBits']);
    const row = {
      key_id: randomUUID(),
      public_key: Buffer.from(await subtle.exportKey('raw', pair.publicKey)).toString('base64url'),
      private_key: Buffer.from(await subtle.exportKey('pkcs8', pair.privateKey)).toString('base64'),
      created_at: nowIso,
    };
    // Another instance may insert at the same moment: both keys stay valid, every device uses the newest.
    await db.insertInto('sealing_keys').values(row).execute();
    found = await rows();
  }
  return Promise.all(found.map(fromRow));
}

const badSeal = (detail: string) =>
  new HttpError(400, 'bad_seal', `Contenu chiffré illisible (${detail}) : l’appareil doit renvoyer le devoir.`);

/** The parts of a sealing header, checked before any body is read: shape, then a key this server holds. */
function sealHeader(keys: SealingKey[], header: string) {
  const parts = header.split('.');
  if (parts.length !== 6 || parts[0] !== 'v1') throw badSeal('en-tête');
  const [, keyId, epk, wrapIv, wrapped, bodyIv] = parts as [string, string, string, string, string, string];
  const key = keys.find((k) => k.keyId === keyId);
  if (!key) throw badSeal('clé inconnue');
  return { key, epk, wrapIv, wrapped, bodyIv };
}

/** The plain bytes of a sealed body; 400 bad_seal for a malformed header, an unknown key or tampered bytes. */
export async function openSealed(keys: SealingKey[], header: string, body: Uint8Array): Promise<Buffer> {
  const { key, epk, wrapIv, wrapped, bodyIv } = sealHeader(keys, header);
  const b64 = (s: string) => Buffer.from(s, 'base64url');
  try {
    const ephemeral = await subtle.importKey('raw', b64(epk), P256, false, []);
    const shared = await subtle.deriveBits({ name: 'ECDH', public: ephemeral }, key.privateKey, 256);
    const hkdf = await subtle.importKey('raw', shared, 'HKDF', false, ['deriveKey']);
    const kek = await subtle.deriveKey(
      { name: 'HKDF', hash: 'SHA-256', salt: b64(epk), info: Buffer.from(SEAL_INFO) },
      hkdf,
      { name: 'AES-GCM', length: 256 },
      false,
      ['decrypt'],
    );
    const raw = await subtle.decrypt({ name: 'AES-GCM', iv: b64(wrapIv) }, kek, b64(wrapped));
    const dek = await subtle.importKey('raw', raw, 'AES-GCM', false, ['decrypt']);
    return Buffer.from(await subtle.decrypt({ name: 'AES-GCM', iv: b64(bodyIv) }, dek, body));
  } catch {
    throw badSeal('clé ou contenu altéré');
  }
}

/** AES-GCM's tag and a little slack: a sealed body is this much larger than the plain one. */
const SEAL_OVERHEAD = 64;

/** The largest plain body the route of `url` takes (its own parser checks it again on the opened bytes). */
function plainLimit(url: string, routeLimit: number): number {
  if (url.startsWith('/api/uploads/')) return MAX_HOMEWORK_FILE_BYTES;
  if (url.startsWith('/api/lesson-files/')) return MAX_LESSON_FILE_BYTES;
  return routeLimit;
}

/**
 * Opens sealed request bodies before parsing: the route then reads the plain body with the plain content-length.
 * A sealed body is read whole, up to its route's limit, once its header names a key this server holds.
 */
export function installSealedBodies(app: FastifyInstance, ctx: AppContext): void {
  app.addHook('preParsing', async (request, reply, payload) => {
    const header = request.headers[SEAL_HEADER];
    if (typeof header !== 'string') return payload;
    // Opening costs an ECDH agreement and reading the whole body: only for a caller with a live token (the route
    // then checks what that token may do, as for any request).
    const token = bearerToken(request.headers.authorization);
    if (!token || !(await liveToken(ctx, token))) {
      void reply.header('www-authenticate', 'Bearer');
      throw unauthorized();
    }
    // Everything that can be refused is refused before a byte is read: the header's shape and key, then the
    // declared length against this route's own limit (not the largest of any route).
    const keys = await sealingKeys(ctx.db, ctx.now().toISOString());
    sealHeader(keys, header);
    const limit = plainLimit(request.url, request.routeOptions.bodyLimit ?? 256 * 1024) + SEAL_OVERHEAD;
    const declared = Number(request.headers['content-length'] ?? Number.NaN);
    if (!Number.isFinite(declared))
      throw new HttpError(411, 'length_required', 'Un contenu chiffré doit annoncer sa taille (Content-Length).');
    if (declared > limit) throw new HttpError(413, 'too_large', 'Contenu trop volumineux.');
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of payload) {
      size += (chunk as Buffer).length;
      if (size > limit) throw new HttpError(413, 'too_large', 'Contenu trop volumineux.');
      chunks.push(chunk as Buffer);
    }
    const plain = await openSealed(keys, header, Buffer.concat(chunks));
    request.headers['content-length'] = String(plain.length);
    const stream = Readable.from([plain]) as Readable & { receivedEncodedLength?: number };
    stream.receivedEncodedLength = plain.length;
    return stream;
  });
}
