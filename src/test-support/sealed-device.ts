/**
 * A device database set up as a shared tablet would be, for storage tests: a profile per pupil (keys made by the
 * real ProfileStore), the server's sealing key kept as sign-in keeps it, and that key's private half for opening
 * what the device sends with the server's own code (src/server/sealing.ts).
 */
import { randomUUID, webcrypto } from 'node:crypto';
import { type CartableDb, openCartableDb } from '../storage/db.ts';
import { Keyring, ProfileStore } from '../storage/profiles.ts';
import { dbSealing, type Sealing } from '../storage/record-sealing.ts';
import type { SealingKey } from '../server/sealing.ts';

export interface SealedDevice {
  db: CartableDb;
  keyring: Keyring;
  sealing: Sealing;
  profiles: ProfileStore;
  /** The server's key, as openSealed takes it. */
  serverKeys: SealingKey[];
  /** Signs `owner` in (a profile with a PIN when given) and leaves their key in the keyring, as the app does. */
  signIn(owner: string, pin?: string): Promise<CryptoKey>;
}

export async function sealedDevice(name: string): Promise<SealedDevice> {
  const db = await openCartableDb(name);
  const keyring = new Keyring();
  const profiles = new ProfileStore(db);
  const P256 = { name: 'ECDH', namedCurve: 'P-256' } as const;
  const pair = await webcrypto.subtle.generateKey(P256, true, ['deriveBits']);
  const keyId = randomUUID();
  const publicKey = Buffer.from(await webcrypto.subtle.exportKey('raw', pair.publicKey)).toString('base64url');
  await db.put('device', { key: 'sealing', keyId, publicKey });
  return {
    db,
    keyring,
    sealing: dbSealing(db, keyring),
    profiles,
    serverKeys: [{ keyId, publicKey, privateKey: pair.privateKey }],
    async signIn(owner, pin) {
      const opened = await profiles.signedIn(
        {
          user: { id: owner, displayName: owner, role: 'pupil' },
          classes: [{ id: 'cm2-b', name: 'CM2 B', schoolName: 'École', timeZone: 'Europe/Paris' }],
        },
        `secret-of-${owner}`,
        {
          token: `access-${owner}`,
          expiresAt: '2030-01-01T00:00:00.000Z',
          refreshToken: `refresh-${owner}`,
          refreshExpiresAt: '2030-01-01T00:00:00.000Z',
          deviceToken: `device-${owner}`,
          deviceExpiresAt: '2030-01-01T00:00:00.000Z',
        },
        pin,
      );
      keyring.set(owner, opened.key);
      return opened.key;
    },
  };
}
