/**
 * The app's real adapters, built once: the device database, the stores, the transport and the outbox runner. The
 * runner (the sync engine: drain, backoff, pacing, merges) is loaded on its first kick, just after the first screen
 * is drawn, so a pupil's phone does not download and parse it before showing the week.
 */
import { type CartableDb, openCartableDb } from '../storage/db.ts';
import { DeviceState } from '../storage/device-state.ts';
import { DraftStore } from '../storage/drafts.ts';
import { FetchTransport, webHasher } from '../storage/fetch-transport.ts';
import { IdbOutboxStore, IdbSyncStateStore } from '../storage/idb-outbox.ts';
import { IdbFileStore, IdbWeekStore } from '../storage/idb-stores.ts';
import { OUTBOX_CHANNEL } from '../storage/channels.ts';
import { realClock } from '../storage/platform.ts';
import { Keyring, ProfileStore } from '../storage/profiles.ts';
import { dbSealing } from '../storage/record-sealing.ts';
import type { OutboxRunner } from '../sync/outbox-runner.ts';
import type { Clock, Hasher, Transport } from '../sync/ports.ts';

/** What the page asks of the outbox runner. */
export type Runner = Pick<OutboxRunner, 'kick' | 'stop'>;

/** A runner built by `make` on first use (a failed load is tried again on the next kick). */
export function lazyRunner(make: () => Promise<OutboxRunner>): Runner {
  let runner: Promise<OutboxRunner> | undefined;
  const get = () =>
    (runner ??= make().catch((err: unknown) => {
      runner = undefined;
      throw err;
    }));
  return {
    kick: async () => (await get()).kick(),
    stop: () => void runner?.then((r) => r.stop()).catch(() => undefined),
  };
}

export interface Services {
  /** The device database, for the wiring that runs the sync core (prefetch, outbox runner); screens use the ports. */
  db: CartableDb;
  /** The device's own state: a class's prefetch state and policy, the server's keys. */
  device: DeviceState;
  weeks: IdbWeekStore;
  files: IdbFileStore;
  /** The accounts used on this device; the private keys of the one open in this page are in `keyring`. */
  profiles: ProfileStore;
  keyring: Keyring;
  outbox: IdbOutboxStore;
  syncState: IdbSyncStateStore;
  drafts: DraftStore;
  runner: Runner;
  transport: Transport;
  hasher: Hasher;
  clock: Clock;
  /**
   * Fires 'outbox-changed' when this tab, another tab or the service worker changed the queue, and 'auth-rejected'
   * when the server refused a pupil's token while draining.
   */
  events: EventTarget;
}

/** Opens the device database and wires the adapters. Rejects when the browser refuses IndexedDB. */
export async function openServices(): Promise<Services> {
  const db = await openCartableDb();
  const events = new EventTarget();
  const changed = () => events.dispatchEvent(new Event('outbox-changed'));
  // Changes from this tab's runner come back through the channel like those of other tabs and the worker; only
  // without BroadcastChannel does the runner tell this page directly.
  const hasChannel = typeof BroadcastChannel === 'function';
  if (hasChannel) {
    new BroadcastChannel(OUTBOX_CHANNEL).addEventListener('message', (e: MessageEvent<{ type?: string }>) => {
      events.dispatchEvent(new Event(e.data.type === 'auth-rejected' ? 'auth-rejected' : 'outbox-changed'));
    });
  }
  const keyring = new Keyring();
  const sealing = dbSealing(db, keyring);
  return {
    db,
    device: new DeviceState(db),
    weeks: new IdbWeekStore(db),
    files: new IdbFileStore(db),
    profiles: new ProfileStore(db),
    keyring,
    outbox: new IdbOutboxStore(db, sealing),
    syncState: new IdbSyncStateStore(db),
    drafts: new DraftStore(db, sealing),
    runner: lazyRunner(async () =>
      (await import('../storage/outbox-wiring.ts')).createOutboxRunner(
        db,
        () => navigator.onLine,
        hasChannel ? undefined : changed,
        keyring,
      ),
    ),
    transport: new FetchTransport(),
    hasher: webHasher,
    clock: realClock,
    events,
  };
}
