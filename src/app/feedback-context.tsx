/**
 * The signed-in pupil's returned copies, for the whole page: read from the device (sealed to their profile), and
 * fetched again when the app is open and online, outside the server's announced peaks: at start, when the network
 * returns, when the page comes back to the front (at most every few minutes) and every half hour. Nothing new
 * costs one 304. The store and its crypto load after the first screen.
 */
import { type ComponentChildren, createContext, type JSX } from 'preact';
import { useContext, useEffect, useMemo, useState } from 'preact/hooks';
import { peakAt } from '../protocol/send-peaks.ts';
import type { FeedbackView } from '../protocol/schemas.ts';
import type { Services } from './services.ts';
import type { ActiveSession } from './session.ts';

export interface FeedbackState {
  /** The newest return of each of the pupil's copies on this device. */
  list: FeedbackView[];
  /** Queues the read mark of a return the pupil is looking at (once per return). */
  opened: (given: FeedbackView) => void;
}

const FeedbackContext = createContext<FeedbackState>({ list: [], opened: () => undefined });

/** Fetched again on coming back to the page only after this long. */
const REFRESH_AFTER_MS = 5 * 60_000;
/** While the page stays open. */
const REFRESH_EVERY_MS = 30 * 60_000;
/** After an announced peak, a random moment below this, so that a class's devices do not ask together. */
const AFTER_PEAK_SPREAD_MS = 10 * 60_000;

const loadStore = async (services: Services) => {
  const [{ FeedbackStore, seenItem }, { dbSealing }] = await Promise.all([
    import('../storage/feedback-store.ts'),
    import('../storage/record-sealing.ts'),
  ]);
  return { store: new FeedbackStore(services.db, dbSealing(services.db, services.keyring)), seenItem };
};

export function FeedbackProvider(props: {
  services: Services;
  session: ActiveSession;
  children: ComponentChildren;
}): JSX.Element {
  const { services, session } = props;
  const owner = session.user.id;
  const pupil = session.user.role === 'pupil';
  const [list, setList] = useState<FeedbackView[]>([]);
  const [marked] = useState(() => new Set<string>());

  useEffect(() => {
    if (!pupil) return undefined;
    let live = true;
    let lastFetch = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const store = loadStore(services);
    const show = async () => {
      const found = (await (await store).store.list(owner)) ?? [];
      if (live) setList(found);
    };
    const refresh = async () => {
      if (!navigator.onLine) return;
      const klass = session.classes[0];
      const policy = klass ? await services.device.policy(klass.id) : undefined;
      const now = Date.now();
      const peak = peakAt(now, policy?.sendPeaks, policy?.timeZone ?? klass?.timeZone ?? 'Europe/Paris');
      if (peak) {
        clearTimeout(timer);
        timer = setTimeout(() => void refresh(), peak.endsAt - now + Math.random() * AFTER_PEAK_SPREAD_MS);
        return;
      }
      lastFetch = now;
      const outcome = await (await store).store.fetch({ send: (r) => session.send(r) }, owner, now);
      if (outcome === 'changed') await show();
    };
    const onVisible = () => {
      if (document.visibilityState === 'visible' && Date.now() - lastFetch > REFRESH_AFTER_MS) void refresh();
    };
    const onOnline = () => void refresh();
    void show()
      .then(refresh)
      .catch(() => undefined);
    const every = setInterval(() => void refresh().catch(() => undefined), REFRESH_EVERY_MS);
    window.addEventListener('online', onOnline);
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      live = false;
      clearTimeout(timer);
      clearInterval(every);
      window.removeEventListener('online', onOnline);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [services, session, owner, pupil]);

  const value = useMemo<FeedbackState>(
    () => ({
      list,
      opened: (given) => {
        if (given.seenAt || marked.has(given.feedbackId)) return;
        marked.add(given.feedbackId);
        void (async () => {
          const { seenItem } = await loadStore(services);
          const item = seenItem(owner, given, new Date());
          // Queued once per return: a second add of the same id is refused, which is what we want.
          const known = await services.outbox.get(item.id);
          if (!known) await services.outbox.add(item, []);
          services.events.dispatchEvent(new Event('outbox-changed'));
          await services.runner.kick();
        })().catch(() => undefined);
      },
    }),
    [list, marked, services, owner],
  );
  return <FeedbackContext.Provider value={value}>{props.children}</FeedbackContext.Provider>;
}

/** The signed-in pupil's returns; empty for teachers and outside a FeedbackProvider. */
export const useFeedback = (): FeedbackState => useContext(FeedbackContext);

/** The newest return of a copy, if any. */
export const feedbackOf = (list: readonly FeedbackView[], submissionId: string): FeedbackView | undefined =>
  list.find((f) => f.submissionId === submissionId);
