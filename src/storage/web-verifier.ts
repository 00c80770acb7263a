/** The SignatureVerifier port over WebCrypto's Ed25519 (Chromium, Firefox, Safari; Node 20 too, for tools). */
import type { SignatureVerifier } from '../sync/ports.ts';

const imported = new Map<string, Promise<CryptoKey>>();

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const normal = text.replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(normal + '='.repeat((4 - (normal.length % 4)) % 4));
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

export const webVerifier: SignatureVerifier = {
  async verify(publicKey, data, signature) {
    try {
      let key = imported.get(publicKey);
      if (!key) {
        key = crypto.subtle.importKey('spki', fromBase64(publicKey), { name: 'Ed25519' }, false, ['verify']);
        imported.set(publicKey, key);
      }
      return await crypto.subtle.verify({ name: 'Ed25519' }, await key, fromBase64(signature), data.slice());
    } catch {
      imported.delete(publicKey);
      return false; // a malformed key or signature is a bad signature, not a crash
    }
  },
};
