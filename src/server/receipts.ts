/**
 * Signed receipts and week manifests (Ed25519). The key pair lives in the database, so every server instance signs with the same key and
 * a receipt stays verifiable after a restart; the public key is published at /api/keys.
 */
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomUUID,
  sign,
  verify,
} from 'node:crypto';
import type { ReceiptPayload } from '../protocol/schemas.ts';
import type { Db } from './db/schema.ts';

export interface SigningKey {
  keyId: string;
  publicKeyBase64: string;
  privateKey: KeyObject;
}

/** The newest signing key, created on first use. */
export async function currentSigningKey(db: Db, nowIso: string): Promise<SigningKey> {
  const existing = await db
    .selectFrom('signing_keys')
    .selectAll()
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (existing) return fromRow(existing);
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const row = {
    key_id: randomUUID(),
    public_key: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
    private_key: privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64'),
    created_at: nowIso,
  };
  await db
    .insertInto('signing_keys')
    .values(row)
    .onConflict((oc) => oc.column('key_id').doNothing())
    .execute();
  // Another instance may have created one at the same moment: everyone uses the newest.
  const chosen = await db
    .selectFrom('signing_keys')
    .selectAll()
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirstOrThrow();
  return fromRow(chosen);
}

function fromRow(row: { key_id: string; public_key: string; private_key: string }): SigningKey {
  return {
    keyId: row.key_id,
    publicKeyBase64: row.public_key,
    privateKey: createPrivateKey({ key: Buffer.from(row.private_key, 'base64'), format: 'der', type: 'pkcs8' }),
  };
}

/** Every public key, for /api/keys. */
export async function publicKeys(db: Db): Promise<{ keyId: string; algorithm: 'Ed25519'; publicKey: string }[]> {
  const rows = await db.selectFrom('signing_keys').select(['key_id', 'public_key']).orderBy('created_at').execute();
  return rows.map((r) => ({ keyId: r.key_id, algorithm: 'Ed25519' as const, publicKey: r.public_key }));
}

/** Ed25519 over the UTF-8 bytes of `text`, base64url. */
export function signText(key: SigningKey, text: string): string {
  return sign(null, Buffer.from(text), key.privateKey).toString('base64url');
}

/** Signs a receipt payload: the JSON text and its signature are what the device keeps. */
export function signReceipt(key: SigningKey, payload: ReceiptPayload): { payload: string; signature: string } {
  const text = JSON.stringify(payload);
  return { payload: text, signature: signText(key, text) };
}

/** Checks a receipt against a published public key (SPKI DER, base64). */
export function verifyReceipt(publicKeyBase64: string, payload: string, signature: string): boolean {
  const key = createPublicKey({ key: Buffer.from(publicKeyBase64, 'base64'), format: 'der', type: 'spki' });
  return verify(null, Buffer.from(payload), key, Buffer.from(signature, 'base64url'));
}
