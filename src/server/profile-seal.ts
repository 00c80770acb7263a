/**
 * Sealing to a device profile's public key on the server: the same ECIES as the device's (src/storage/crypto-box.ts:
 * ephemeral P-256 ECDH, HKDF-SHA256 salted with the ephemeral key, AES-256-GCM, info "cartable-profile v1"), so the
 * device opens it with openSeal. Used for a pupil's returns fetched with a device token: only the profile's private
 * key, unwrapped by the pupil's PIN, reads them.
 */
import { webcrypto } from 'node:crypto';

const subtle = webcrypto.subtle;
const P256 = { name: 'ECDH', namedCurve: 'P-256' } as const;
const PROFILE_INFO = new TextEncoder().encode('cartable-profile v1');

export interface SealedForProfile {
  e: string;
  iv: string;
  ct: string;
}

const b64 = (bytes: ArrayBuffer | Uint8Array) =>
  Buffer.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)).toString('base64url');

/** True when `publicKey` is a raw P-256 public key in base64url (what the device's generateProfileKeys exports). */
export async function isProfileKey(publicKey: string): Promise<boolean> {
  if (!/^[A-Za-z0-9_-]{80,100}$/.test(publicKey)) return false;
  try {
    await subtle.importKey('raw', Buffer.from(publicKey, 'base64url'), P256, false, []);
    return true;
  } catch {
    return false;
  }
}

export async function sealForProfile(publicKey: string, plain: Uint8Array): Promise<SealedForProfile> {
  const peer = await subtle.importKey('raw', Buffer.from(publicKey, 'base64url'), P256, false, []);
  const ephemeral = await subtle.generateKey(P256, true, ['deriveBits']);
  const epk = new Uint8Array(await subtle.exportKey('raw', ephemeral.publicKey));
  const bits = await subtle.deriveBits({ name: 'ECDH', public: peer }, ephemeral.privateKey, 256);
  const hkdf = await subtle.importKey('raw', bits, 'HKDF', false, ['deriveKey']);
  const key = await subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: epk, info: PROFILE_INFO },
    hkdf,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt'],
  );
  const iv = webcrypto.getRandomValues(new Uint8Array(12));
  const ct = await subtle.encrypt({ name: 'AES-GCM', iv }, key, plain);
  return { e: b64(epk), iv: b64(iv), ct: b64(ct) };
}

/** Bytes encrypted under a fresh AES-256-GCM key, that key sealed to the profile: `header` is `<iv>.<sealed key>`. */
export async function encryptForProfile(
  publicKey: string,
  plain: Uint8Array,
): Promise<{ header: string; ct: Uint8Array }> {
  const raw = webcrypto.getRandomValues(new Uint8Array(32));
  const key = await subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt']);
  const iv = webcrypto.getRandomValues(new Uint8Array(12));
  const ct = new Uint8Array(await subtle.encrypt({ name: 'AES-GCM', iv }, key, plain));
  const sealedKey = await sealForProfile(publicKey, raw);
  return { header: `${b64(iv)}.${Buffer.from(JSON.stringify(sealedKey)).toString('base64url')}`, ct };
}
