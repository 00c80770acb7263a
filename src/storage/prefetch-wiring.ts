/**
 * The prefetch core over the real adapters, as the page and the service worker (Periodic Background Sync) both build
 * it: IndexedDB stores, fetch, WebCrypto, one Web Lock so only one of them checks at a time. Also this device's
 * identity: an id made here once, and the seat the server gives it (which spreads prefetch slots evenly).
 */
import { DEVICE_REPORT_HEADER, deviceUrl } from '../protocol/paths.ts';
import { type PrefetchOutcome, prefetchTick } from '../sync/prefetch.ts';
import type { SlotDevice } from '../sync/slot-planner.ts';
import { sendable } from '../sync/outbox.ts';
import type { CartableDb, DeviceRecord } from './db.ts';
import { PREFETCH_CHANNEL } from './channels.ts';
import { FetchTransport, webHasher } from './fetch-transport.ts';
import { fetchSealedReturns, pendingOf } from './feedback-store.ts';
import { IdbOutboxStore } from './idb-outbox.ts';
import { IdbFileStore, IdbKeyStore, IdbPrefetchStateStore, IdbWeekStore } from './idb-stores.ts';
import { realClock, storageFree } from './platform.ts';
import { ProfileStore } from './profiles.ts';
import { LegacySessionStore } from './session-store.ts';
import { WebLock } from './web-lock.ts';
import { webVerifier } from './web-verifier.ts';

export const PREFETCH_LOCK = 'cartable-prefetch';

/** This device's id (made once, kept) and seat (once the server gave one). */
export async function thisDevice(db: CartableDb): Promise<DeviceRecord> {
  const known = await db.get('device', 'this');
  if (known && 'id' in known) return known;
  const fresh: DeviceRecord = { key: 'this', id: crypto.randomUUID() };
  await db.put('device', fresh);
  return fresh;
}

/** Asks the server for this device's seat if it has none yet; quietly keeps the hashed slot when offline. */
export async function registerDevice(db: CartableDb, token: string): Promise<SlotDevice> {
  const device = await thisDevice(db);
  if (device.seat !== undefined) return device;
  try {
    const res = await new FetchTransport().send({
      method: 'PUT',
      path: deviceUrl(device.id),
      headers: { authorization: `Bearer ${token}` },
    });
    if (res.status === 200) {
      const { seat } = JSON.parse(new TextDecoder().decode(res.body)) as { seat?: unknown };
      if (typeof seat === 'number') {
        const registered = { ...device, seat };
        await db.put('device', registered);
        return registered;
      }
    }
  } catch {
    // Offline: the slot comes from the device id's hash until the next registration succeeds.
  }
  return device;
}

export interface PrefetchRun {
  outcome: PrefetchOutcome | { kind: 'busy' } | { kind: 'no-session' };
}

/** Whose device token fetches the weeks, for which class: `owner`'s, else the profile used last (the worker). */
async function prefetchAccount(db: CartableDb, owner: string | undefined) {
  const profiles = await new ProfileStore(db).list();
  const profile = owner
    ? profiles.find((p) => p.userId === owner)
    : profiles.find((p) => p.deviceToken && !p.deviceRejected);
  if (profile?.deviceToken && !profile.deviceRejected) {
    const klass = profile.classes[0];
    return klass && { userId: profile.userId, token: profile.deviceToken, klass };
  }
  const legacy = await new LegacySessionStore(db).get();
  const klass = legacy?.classes[0];
  return legacy && !legacy.rejected && klass && (!owner || owner === legacy.user.id)
    ? { userId: legacy.user.id, token: legacy.token, klass }
    : undefined;
}

/**
 * One prefetch check for an account's first class, under the prefetch lock, with that account's device token (the
 * lessons are the class's, shared by every profile on the device). `asked`: the pupil pressed "Vérifier maintenant"
 * (checks at once, whatever the hour).
 */
export async function runPrefetch(
  db: CartableDb,
  options: {
    /** The profile open in the page; the worker leaves it out. */
    owner?: string;
    asked?: boolean;
    onWeekProgress?: (week: string, done: number, total: number) => void;
  } = {},
): Promise<PrefetchRun['outcome']> {
  const account = await prefetchAccount(db, options.owner);
  if (!account) return { kind: 'no-session' };
  const { klass } = account;
  const device = await thisDevice(db);
  const outbox = new IdbOutboxStore(db);
  // A shared tablet tells the school's admin, with its week checks, how many items wait in its queue (a count of
  // every profile's, never content); a personal device says nothing of itself.
  const shared = (await new ProfileStore(db).config()).shared;
  const queued = shared ? sendable((await outbox.list()).flatMap((e) => (e.ok ? [e.item] : []))).length : 0;
  const report: Record<string, string> = shared ? { [DEVICE_REPORT_HEADER]: `id=${device.id};queued=${queued}` } : {};
  const tick = (slotDevice: SlotDevice, asked: boolean) =>
    prefetchTick(
      {
        transport: new FetchTransport(),
        files: new IdbFileStore(db),
        weeks: new IdbWeekStore(db),
        keys: new IdbKeyStore(db),
        verifier: webVerifier,
        hasher: webHasher,
        clock: realClock,
        freeBytes: storageFree,
        state: new IdbPrefetchStateStore(db),
        headers: { authorization: `Bearer ${account.token}`, ...report },
        device: slotDevice,
        classId: klass.id,
        timeZone: klass.timeZone,
        sendableHomework: async () =>
          sendable((await outbox.list()).flatMap((e) => (e.ok && e.item.owner === account.userId ? [e.item] : [])))
            .length,
        ...(options.onWeekProgress ? { onWeekProgress: options.onWeekProgress } : {}),
      },
      asked ? { asked: true } : {},
    );
  const run = await new WebLock(PREFETCH_LOCK).tryRun(async () => {
    const outcome = await tick(device, options.asked ?? false);
    // Registering costs a request: made only after a check that reached the server anyway (the first one after
    // sign-in fetches the week at once), never from the one-minute timer while the server is away or busy.
    if (outcome.kind !== 'checked' || device.seat !== undefined) return outcome;
    const registered = await registerDevice(db, account.token);
    if (registered.seat === undefined) return outcome;
    // With its seat the device's slot moves: plan the next one now (a wait, nothing is fetched again).
    const planned = await tick(registered, false);
    return planned.kind === 'waiting' ? { ...outcome, nextCheckAt: planned.until } : outcome;
  });
  if (!run.ran) return { kind: 'busy' };
  // The worker at this device's slot, nobody signed in: each profile's returns come sealed to it (one 304 each when
  // nothing is new). The open page fetches its pupil's itself (app/feedback-refresh.ts).
  if (run.value.kind === 'checked' && options.owner === undefined) {
    const queue = (await outbox.list()).flatMap((e) => (e.ok ? [e.item] : []));
    await fetchSealedReturns(db, new FetchTransport(), await new ProfileStore(db).list(), Date.now(), (owner) =>
      pendingOf(queue, owner),
    ).catch(() => undefined);
  }
  if (run.value.kind === 'checked' && typeof BroadcastChannel === 'function') {
    const channel = new BroadcastChannel(PREFETCH_CHANNEL);
    channel.postMessage({ type: 'weeks-changed' });
    channel.close();
  }
  return run.value;
}
