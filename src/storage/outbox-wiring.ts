/**
 * The outbox runner over the real adapters, as the page and the service worker both build it: IndexedDB stores,
 * fetch, Web Locks, WebCrypto randomness. Changes are announced on a BroadcastChannel so every tab and the worker
 * see the same queue.
 */
import { SUBMISSION_BATCH_LIMITS } from '../protocol/submission-batch.ts';
import { AdaptiveThrottle } from '../sync/adaptive-throttle.ts';
import { OutboxRunner } from '../sync/outbox-runner.ts';
import { OUTBOX_CHANNEL } from './channels.ts';
import type { CartableDb } from './db.ts';
import { FetchTransport } from './fetch-transport.ts';
import { IdbOutboxStore, IdbSyncStateStore } from './idb-outbox.ts';
import { cryptoRandom, realClock } from './platform.ts';
import { Keyring, ProfileStore } from './profiles.ts';
import { dbSealing } from './record-sealing.ts';
import { LegacySessionStore } from './session-store.ts';
import { WebLock } from './web-lock.ts';

/**
 * `onChanged` is told when an item or the server backoff changed (only needed where there is no BroadcastChannel:
 * the channel tells every tab and the worker, this one included).
 */
export function createOutboxRunner(
  db: CartableDb,
  isOnline: () => boolean,
  onChanged?: () => void,
  keyring: Keyring = new Keyring(),
): OutboxRunner {
  const profiles = new ProfileStore(db);
  const legacy = new LegacySessionStore(db);
  const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(OUTBOX_CHANNEL) : undefined;
  let announcedUntil: number | undefined;
  return new OutboxRunner({
    transport: new FetchTransport(),
    outbox: new IdbOutboxStore(db, dbSealing(db, keyring)),
    syncState: new IdbSyncStateStore(db),
    clock: realClock,
    random: cryptoRandom,
    lock: new WebLock(),
    isOnline,
    // Each owner's work goes out with their own device token, whoever is using the device now.
    credentials: async (owner) => (await profiles.deviceTokenFor(owner)) ?? (await legacy.tokenFor(owner)),
    onAuthRejected: (owner) => {
      profiles.markDeviceRejected(owner).catch(() => undefined);
      legacy.markRejected(owner).catch(() => undefined);
      channel?.postMessage({ type: 'auth-rejected', owner });
    },
    onItem: (item) => {
      onChanged?.();
      channel?.postMessage({ type: 'outbox-changed', id: item.id });
    },
    // A wait decided without any item changing (the server's backoff, or this device's slot to rejoin): the screens
    // that say when the work will leave read it again.
    // Only a new time is news: a kick that finds the same wait (the 30 s timer, the page coming back into view) would
    // otherwise make every tab re-read the whole queue for nothing.
    onResult: (result) => {
      if (result.kind !== 'waiting' && result.kind !== 'backing-off') return;
      if (result.until === announcedUntil) return;
      announcedUntil = result.until;
      onChanged?.();
      channel?.postMessage({ type: 'outbox-changed' });
    },
    concurrency: 2,
    throttle: new AdaptiveThrottle(realClock),
    // A week's queue leaves in batches of small items (under the server's limits, with room for the JSON around them).
    batch: { maxItems: SUBMISSION_BATCH_LIMITS.maxItems, maxBytes: SUBMISSION_BATCH_LIMITS.maxBodyBytes - 16 * 1024 },
  });
}
