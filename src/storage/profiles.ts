/**
 * Profiles: one per account used on this device. On a shared tablet ("Qui es-tu ?") each pupil's drafts, queued
 * homework, receipts and tokens are sealed to their profile's public key, and only their PIN (or their card secret,
 * checked by the server) unwraps the private key. Unwrapped keys live in this page's memory only (the Keyring).
 *
 *   no profile ──sign-in──> unlocked ──switch──> locked ──PIN──> unlocked
 *                              │                    │ 5 wrong PINs: locked for PIN_LOCK_MS (nothing erased)
 *                              └──sign out──> signed out (tokens gone; queued work still sent with the device token)
 */
import {
  exportPrivate,
  generateProfileKeys,
  importPrivate,
  openJson,
  sealJson,
  unwrapWithPassword,
  wrapWithPassword,
} from './crypto-box.ts';
import type { CartableDb, DeviceConfig, ProfileRecord } from './db.ts';

/** Wrong PINs before a profile locks, and for how long it then stays locked. */
export const PIN_ATTEMPTS = 5;
export const PIN_LOCK_MS = 5 * 60_000;
/** A PIN is 4 to 8 digits. */
export const PIN_PATTERN = /^\d{4,8}$/;

/** The tokens of a signed-in profile, as sealed in its record. */
export interface ProfileTokens {
  token: string;
  expiresAt: string;
  refreshToken: string;
  refreshExpiresAt: string;
}

/** The private keys of the profiles unlocked in this page, and nothing else: gone with the page or on switch. */
export class Keyring {
  private readonly keys = new Map<string, CryptoKey>();
  get(userId: string): CryptoKey | undefined {
    return this.keys.get(userId);
  }
  set(userId: string, key: CryptoKey): void {
    this.keys.set(userId, key);
  }
  /** Forgets every key: the next pupil sees nothing of the previous one's. */
  clear(): void {
    this.keys.clear();
  }
}

export type UnlockResult =
  | { ok: true; profile: ProfileRecord; key: CryptoKey }
  | { ok: false; reason: 'wrong-pin'; attemptsLeft: number }
  | { ok: false; reason: 'locked'; until: number };

export class ProfileStore {
  constructor(
    private readonly db: CartableDb,
    private readonly now: () => number = Date.now,
  ) {}

  async list(): Promise<ProfileRecord[]> {
    return (await this.db.getAll('profiles')).sort((a, b) => b.lastUsedAt - a.lastUsedAt);
  }

  async get(userId: string): Promise<ProfileRecord | undefined> {
    return this.db.get('profiles', userId);
  }

  async config(): Promise<DeviceConfig> {
    const found = await this.db.get('device', 'config');
    return found && 'shared' in found ? found : { key: 'config', shared: false };
  }

  async setConfig(config: Omit<DeviceConfig, 'key'>): Promise<void> {
    await this.db.put('device', { ...config, key: 'config' });
  }

  /** Changes one profile in one transaction; `change` returns undefined to leave it. */
  async update(
    userId: string,
    change: (p: ProfileRecord) => ProfileRecord | undefined,
  ): Promise<ProfileRecord | undefined> {
    const tx = this.db.transaction('profiles', 'readwrite');
    const current = await tx.store.get(userId);
    const next = current && change(current);
    if (next) await tx.store.put(next);
    await tx.done;
    return next ?? current;
  }

  /**
   * After a successful sign-in: the account's profile, created with new keys or reopened with the card secret (the
   * server has just checked it). On a shared device `pin` wraps the private key; a forgotten PIN is reset this way.
   * When the old key cannot be unwrapped (the school printed a new card), new keys are made: what was sealed to the
   * old ones stays on the device, unread, and queued work is still sent (it is sealed to the server too).
   */
  async signedIn(
    account: Pick<ProfileRecord, 'user' | 'classes'>,
    secret: string,
    tokens: ProfileTokens & { deviceToken: string; deviceExpiresAt: string },
    pin: string | undefined,
  ): Promise<{ profile: ProfileRecord; key: CryptoKey }> {
    const existing = await this.get(account.user.id);
    let publicKey = existing?.publicKey;
    let key: CryptoKey | undefined;
    if (existing?.privateKey.kind === 'stored') key = existing.privateKey.key;
    else if (existing?.privateKey.kind === 'wrapped') {
      const pkcs8 = await unwrapWithPassword(secret, existing.privateKey.bySecret);
      if (pkcs8)
        key = await crypto.subtle.importKey('pkcs8', pkcs8.slice(), { name: 'ECDH', namedCurve: 'P-256' }, true, [
          'deriveBits',
        ]);
    }
    // A key kept unexportable (personal device) cannot be wrapped by a PIN: a device turned shared starts afresh.
    if (pin !== undefined && key && !key.extractable) key = undefined;
    if (!key || !publicKey) {
      const fresh = await generateProfileKeys();
      key = fresh.privateKey;
      publicKey = fresh.publicKey;
    }
    const privateKey: ProfileRecord['privateKey'] =
      pin === undefined
        ? { kind: 'stored', key: key.extractable ? await importPrivate(await exportPrivate(key)) : key }
        : {
            kind: 'wrapped',
            byPin: await wrapWithPassword(pin, await exportPrivate(key)),
            bySecret: await wrapWithPassword(secret, await exportPrivate(key)),
          };
    const usable = privateKey.kind === 'stored' ? privateKey.key : await importPrivate(await exportPrivate(key));
    const { deviceToken, deviceExpiresAt, ...session } = tokens;
    const profile: ProfileRecord = {
      userId: account.user.id,
      user: account.user,
      classes: account.classes,
      publicKey,
      privateKey,
      pinFailures: 0,
      lockedUntil: 0,
      deviceToken,
      deviceExpiresAt,
      session: await sealJson(publicKey, session),
      lastUsedAt: this.now(),
    };
    await this.db.put('profiles', profile);
    return { profile, key: usable };
  }

  /** Reopens a profile with its PIN. Five wrong PINs lock it for PIN_LOCK_MS; nothing is erased. */
  async unlock(userId: string, pin: string): Promise<UnlockResult> {
    const profile = await this.get(userId);
    if (!profile) return { ok: false, reason: 'wrong-pin', attemptsLeft: 0 };
    if (profile.lockedUntil > this.now()) return { ok: false, reason: 'locked', until: profile.lockedUntil };
    const key = await this.unwrap(profile, pin);
    if (key) {
      const opened = await this.update(userId, (p) => ({
        ...p,
        pinFailures: 0,
        lockedUntil: 0,
        lastUsedAt: this.now(),
      }));
      return { ok: true, profile: opened ?? profile, key };
    }
    const failed = await this.update(userId, (p) => {
      const failures = p.pinFailures + 1;
      return failures >= PIN_ATTEMPTS
        ? { ...p, pinFailures: 0, lockedUntil: this.now() + PIN_LOCK_MS }
        : { ...p, pinFailures: failures };
    });
    if (failed && failed.lockedUntil > this.now()) return { ok: false, reason: 'locked', until: failed.lockedUntil };
    return { ok: false, reason: 'wrong-pin', attemptsLeft: PIN_ATTEMPTS - (failed?.pinFailures ?? PIN_ATTEMPTS) };
  }

  private async unwrap(profile: ProfileRecord, pin: string): Promise<CryptoKey | undefined> {
    if (profile.privateKey.kind === 'stored') return profile.privateKey.key;
    const pkcs8 = await unwrapWithPassword(pin, profile.privateKey.byPin);
    return pkcs8 && importPrivate(pkcs8);
  }

  /** The profile's access and refresh tokens, if it is signed in. */
  async tokens(profile: ProfileRecord, key: CryptoKey): Promise<ProfileTokens | undefined> {
    if (!profile.session) return undefined;
    try {
      return await openJson<ProfileTokens>(key, profile.session);
    } catch {
      return undefined;
    }
  }

  /** Keeps renewed tokens (sealed), or forgets them (signed out) when `tokens` is undefined. */
  async saveTokens(userId: string, tokens: ProfileTokens | undefined): Promise<void> {
    const profile = await this.get(userId);
    if (!profile) return;
    const session = tokens && (await sealJson(profile.publicKey, tokens));
    await this.update(userId, (p) => {
      const { session: _old, ...rest } = p;
      return session ? { ...rest, session } : rest;
    });
  }

  /** The device token of `owner`, unless the server refused it: what their queued work is sent with. */
  async deviceTokenFor(owner: string): Promise<string | undefined> {
    const profile = await this.get(owner);
    return profile && !profile.deviceRejected ? profile.deviceToken : undefined;
  }

  async markDeviceRejected(owner: string): Promise<void> {
    await this.update(owner, (p) => ({ ...p, deviceRejected: true }));
  }
}
