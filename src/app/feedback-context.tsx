/**
 * The signed-in pupil's returned copies, for the whole page (the week's "Corrigé" badges, "Mes envois", the
 * assignment). What fetches and stores them (feedback-refresh.ts) loads after the first screen.
 */
import { type ComponentChildren, createContext, type JSX } from 'preact';
import { useContext, useEffect, useMemo, useState } from 'preact/hooks';
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
    let stop: (() => void) | undefined;
    let live = true;
    const start = async () => {
      const m = await import('./feedback-refresh.ts');
      if (live) stop = m.startFeedbackRefresh(services, session, setList);
    };
    start().catch(() => undefined);
    return () => {
      live = false;
      stop?.();
    };
  }, [services, session, pupil]);

  const value = useMemo<FeedbackState>(
    () => ({
      list,
      opened: (given) => {
        if (given.seenAt || marked.has(given.feedbackId)) return;
        marked.add(given.feedbackId);
        void import('./feedback-refresh.ts')
          .then((m) => m.queueReadMark(services, owner, given))
          .catch(() => undefined);
      },
    }),
    [list, marked, services, owner],
  );
  return <FeedbackContext.Provider value={value}>{props.children}</FeedbackContext.Provider>;
}

/** The signed-in pupil's returns; empty for teachers and outside a FeedbackProvider. */
export const useFeedback = (): FeedbackState => useContext(FeedbackContext);
