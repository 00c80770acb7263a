/**
 * When the page fetches the pupil's returned copies (loaded after the first screen, with the store and its crypto):
 * at start, when the network returns, when the page comes back to the front (at most every few minutes) and every
 * half hour, never inside the server's announced peaks (after one, at a random moment of the next minutes, so a
 * class's devices do not ask together). Nothing new costs one 304.
 */
import { peakAt } from '../protocol/send-peaks.ts';
import type { FeedbackView } from '../protocol/schemas.ts';
import {
  bindProfileKey,
  FeedbackStore,
  fetchReturnedFiles,
  openReturnedFile,
  pendingOf,
  seenItem,
} from '../storage/feedback-store.ts';
import { dbSealing } from '../storage/record-sealing.ts';
import type { Services } from './services.ts';
import type { ActiveSession } from './session.ts';

/** Fetched again on coming back to the page only after this long. */
const REFRESH_AFTER_MS = 5 * 60_000;
/** While the page stays open. */
const REFRESH_EVERY_MS = 30 * 60_000;
/** After an announced peak, a random moment below this. */
const AFTER_PEAK_SPREAD_MS = 10 * 60_000;

const storeOf = (services: Services) => new FeedbackStore(services.db, dbSealing(services.db, services.keyring));

/** Shows what the device holds, then keeps it fresh; returns the stop function. */
export function startFeedbackRefresh(
  services: Services,
  session: ActiveSession,
  show: (list: FeedbackView[]) => void,
): () => void {
  const owner = session.user.id;
  const store = storeOf(services);
  let live = true;
  let lastFetch = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const sealing = dbSealing(services.db, services.keyring);
  /** The returned files this device lacks (an annotated photo, a PDF), kept sealed like the returns. */
  const fetchFiles = async (found: FeedbackView[]) => {
    if (navigator.onLine)
      await fetchReturnedFiles(services.db, { send: (r) => session.send(r) }, sealing, owner, found);
  };
  /** What the device holds, shown; then the files it still lacks. */
  const read = async () => {
    const found = (await store.list(owner)) ?? [];
    if (live) show(found);
    await fetchFiles(found);
  };
  /** A new answer: its files first, so that a return shown as "Corrigé" is whole on the device. */
  const received = async () => {
    const found = (await store.list(owner)) ?? [];
    await fetchFiles(found).catch(() => undefined);
    if (live) show(found);
  };
  const refresh = async () => {
    if (!live || !navigator.onLine) return;
    const klass = session.classes[0];
    const policy = klass ? await services.device.policy(klass.id) : undefined;
    const now = Date.now();
    const peak = peakAt(now, policy?.sendPeaks, policy?.timeZone ?? klass?.timeZone ?? 'Europe/Paris');
    if (peak) {
      clearTimeout(timer);
      timer = setTimeout(
        () => void refresh().catch(() => undefined),
        peak.endsAt - now + Math.random() * AFTER_PEAK_SPREAD_MS,
      );
      return;
    }
    lastFetch = now;
    // The pupil's homework still queued here (ids only): "en attente d'envoi" for their teacher, not "pas rendu".
    const queue = (await services.outbox.list()).flatMap((e) => (e.ok ? [e.item] : []));
    const fetched = await store.fetch({ send: (r) => session.send(r) }, owner, now, pendingOf(queue, owner));
    if (fetched === 'changed') await received();
  };
  const onVisible = () => {
    if (document.visibilityState === 'visible' && Date.now() - lastFetch > REFRESH_AFTER_MS)
      void refresh().catch(() => undefined);
  };
  const onOnline = () => void refresh().catch(() => undefined);
  // So the tablet can fetch this pupil's returns at its off-peak slot once they have gone (sealed to this profile).
  const bind = async () => {
    const profile = await services.profiles.get(owner);
    if (profile && navigator.onLine) await bindProfileKey({ send: (r) => session.send(r) }, profile);
  };
  void read()
    .then(refresh)
    .then(bind)
    .catch(() => undefined);
  const every = setInterval(onOnline, REFRESH_EVERY_MS);
  window.addEventListener('online', onOnline);
  document.addEventListener('visibilitychange', onVisible);
  return () => {
    live = false;
    clearTimeout(timer);
    clearInterval(every);
    window.removeEventListener('online', onOnline);
    document.removeEventListener('visibilitychange', onVisible);
  };
}

/** A returned file's bytes from the device, opened with the pupil's key; undefined when it is not here (yet). */
export function returnedFile(services: Services, owner: string, sha256: string): Promise<Uint8Array | undefined> {
  return openReturnedFile(services.db, dbSealing(services.db, services.keyring), owner, sha256);
}

/** Queues the read mark of a return (once: the mark's id is the return's) and kicks the outbox. */
export async function queueReadMark(services: Services, owner: string, given: FeedbackView): Promise<void> {
  const item = seenItem(owner, given, new Date());
  if (!(await services.outbox.get(item.id))) await services.outbox.add(item, []);
  services.events.dispatchEvent(new Event('outbox-changed'));
  await services.runner.kick();
}
