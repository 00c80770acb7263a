/**
 * The device's encryption, all WebCrypto:
 * - `seal` / `openSeal`: ECIES over P-256 (ephemeral ECDH, HKDF-SHA256, AES-256-GCM). Anyone holding a public key
 *   can seal; only the private key opens. A profile's records are sealed to the profile's public key, so the outbox
 *   can store a receipt for a pupil who has left, and only that pupil's PIN (or card secret) opens it.
 * - `wrapWithPassword` / `unwrapWithPassword`: PBKDF2-SHA256 then AES-GCM, for the profile's private key.
 * - `sealForServer`: a body key sealed to the server's key (protocol: SEAL_HEADER), so homework leaves the tablet
 *   as the ciphertext it was stored as.
 */
import { SEAL_INFO } from '../protocol/paths.ts';
import { toBase64Url as encodeBase64Url } from '../sync/base64url.ts';

/** Bytes sealed to a public key: ephemeral public key, IV, ciphertext, all base64url. */
export interface Sealed {
  e: string;
  iv: string;
  ct: string;
}

/** Bytes encrypted under a password-derived key. */
export interface PasswordWrapped {
  salt: string;
  iterations: number;
  iv: string;
  ct: string;
}

const P256 = { name: 'ECDH', namedCurve: 'P-256' } as const;
/** OWASP's 2023 figure for PBKDF2-SHA256; about a third of a second on a school tablet. */
export const PBKDF2_ITERATIONS = 600_000;
const PROFILE_INFO = 'cartable-profile v1';

export function toBase64Url(bytes: Uint8Array | ArrayBuffer): string {
  return encodeBase64Url(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes));
}

export function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  const normal = text.replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(normal + '='.repeat((4 - (normal.length % 4)) % 4));
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

const randomBytes = (n: number) => crypto.getRandomValues(new Uint8Array(n));
const utf8 = new TextEncoder();

/** A new profile key pair: the public key (raw, base64url) and the private key, extractable once so it can be wrapped. */
export async function generateProfileKeys(): Promise<{ publicKey: string; privateKey: CryptoKey }> {
  const pair = await crypto.subtle.generateKey(P256, true, ['deriveBits']);
  return { publicKey: toBase64Url(await crypto.subtle.exportKey('raw', pair.publicKey)), privateKey: pair.privateKey };
}

/** The AES-GCM key two ECDH parties share: the agreed bits through HKDF-SHA256, salted with the ephemeral key. */
async function sharedKey(
  privateKey: CryptoKey,
  peerRaw: Uint8Array<ArrayBuffer>,
  ephemeralRaw: Uint8Array<ArrayBuffer>,
  info: string,
  usage: KeyUsage,
): Promise<CryptoKey> {
  const peer = await crypto.subtle.importKey('raw', peerRaw, P256, false, []);
  const bits = await crypto.subtle.deriveBits({ name: 'ECDH', public: peer }, privateKey, 256);
  const hkdf = await crypto.subtle.importKey('raw', bits, 'HKDF', false, ['deriveKey']);
  return crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: ephemeralRaw, info: utf8.encode(info) },
    hkdf,
    { name: 'AES-GCM', length: 256 },
    false,
    [usage],
  );
}

/** ECIES: a fresh ephemeral key per seal, so each seal has its own key. */
async function sealWith(publicKey: string, plain: Uint8Array, info: string): Promise<Sealed> {
  const ephemeral = await crypto.subtle.generateKey(P256, true, ['deriveBits']);
  const epk = new Uint8Array(await crypto.subtle.exportKey('raw', ephemeral.publicKey));
  const key = await sharedKey(ephemeral.privateKey, fromBase64Url(publicKey), epk, info, 'encrypt');
  const iv = randomBytes(12);
  const ct = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, plain.slice());
  return { e: toBase64Url(epk), iv: toBase64Url(iv), ct: toBase64Url(ct) };
}

/** Seals bytes to a profile's public key. */
export function seal(publicKey: string, plain: Uint8Array): Promise<Sealed> {
  return sealWith(publicKey, plain, PROFILE_INFO);
}

/** Opens what `seal` sealed; rejects when the key is not the right one or the bytes were altered. */
export async function openSeal(privateKey: CryptoKey, sealed: Sealed): Promise<Uint8Array> {
  const epk = fromBase64Url(sealed.e);
  const key = await sharedKey(privateKey, epk, epk, PROFILE_INFO, 'decrypt');
  return new Uint8Array(
    await crypto.subtle.decrypt({ name: 'AES-GCM', iv: fromBase64Url(sealed.iv) }, key, fromBase64Url(sealed.ct)),
  );
}

export async function sealJson(publicKey: string, value: unknown): Promise<Sealed> {
  return seal(publicKey, utf8.encode(JSON.stringify(value)));
}

export async function openJson<T>(privateKey: CryptoKey, sealed: Sealed): Promise<T> {
  return JSON.parse(new TextDecoder().decode(await openSeal(privateKey, sealed))) as T;
}

async function passwordKey(password: string, salt: Uint8Array<ArrayBuffer>, iterations: number, usage: KeyUsage) {
  const base = await crypto.subtle.importKey('raw', utf8.encode(password), 'PBKDF2', false, ['deriveKey']);
  return crypto.subtle.deriveKey(
    { name: 'PBKDF2', hash: 'SHA-256', salt, iterations },
    base,
    { name: 'AES-GCM', length: 256 },
    false,
    [usage],
  );
}

export async function wrapWithPassword(
  password: string,
  plain: Uint8Array,
  iterations = PBKDF2_ITERATIONS,
): Promise<PasswordWrapped> {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const key = await passwordKey(password, salt, iterations, 'encrypt');
  const ct = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, plain.slice());
  return { salt: toBase64Url(salt), iterations, iv: toBase64Url(iv), ct: toBase64Url(ct) };
}

/** The plain bytes, or undefined for a wrong password (AES-GCM's tag does not match). */
export async function unwrapWithPassword(password: string, wrapped: PasswordWrapped): Promise<Uint8Array | undefined> {
  const key = await passwordKey(password, fromBase64Url(wrapped.salt), wrapped.iterations, 'decrypt');
  try {
    return new Uint8Array(
      await crypto.subtle.decrypt({ name: 'AES-GCM', iv: fromBase64Url(wrapped.iv) }, key, fromBase64Url(wrapped.ct)),
    );
  } catch {
    return undefined;
  }
}

/** The private key's PKCS#8 bytes, to wrap; and back, as a key that can no longer be exported. */
export async function exportPrivate(privateKey: CryptoKey): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.exportKey('pkcs8', privateKey));
}

export function importPrivate(pkcs8: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey('pkcs8', pkcs8.slice(), P256, false, ['deriveBits']);
}

/** A body key (AES-256-GCM) for one piece of homework: its text and files are stored encrypted under it. */
export interface BodyKey {
  raw: Uint8Array;
  key: CryptoKey;
}

export async function newBodyKey(): Promise<BodyKey> {
  const raw = randomBytes(32);
  return { raw, key: await crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']) };
}

export async function importBodyKey(raw: Uint8Array): Promise<BodyKey> {
  return { raw, key: await crypto.subtle.importKey('raw', raw.slice(), 'AES-GCM', false, ['encrypt', 'decrypt']) };
}

export async function encryptBody(key: BodyKey, plain: Uint8Array): Promise<{ iv: string; ct: Uint8Array }> {
  const iv = randomBytes(12);
  return {
    iv: toBase64Url(iv),
    ct: new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key.key, plain.slice())),
  };
}

export async function decryptBody(key: BodyKey, iv: string, ct: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: fromBase64Url(iv) }, key.key, ct.slice()));
}

/**
 * The body key sealed to the server's key: the start of the SEAL_HEADER value, `v1.<keyId>.<epk>.<iv>.<wrapped>`;
 * each request appends `.<body iv>`.
 */
export async function sealForServer(server: { keyId: string; publicKey: string }, key: BodyKey): Promise<string> {
  const sealed = await sealWith(server.publicKey, key.raw, SEAL_INFO);
  return `v1.${server.keyId}.${sealed.e}.${sealed.iv}.${sealed.ct}`;
}
