/**
 * One reader of the pupil's queue for the whole page: the header's count and the current screen share it, so a
 * refresh reads the queue once (a drain of thousands of items competes with these reads for the main thread).
 */
import { type ComponentChildren, createContext, type JSX } from 'preact';
import { useContext } from 'preact/hooks';
import type { Services } from './services.ts';
import { type OutboxView, useOutbox } from './use-outbox.ts';

const OutboxContext = createContext<OutboxView>({ items: [], corrupt: [], loaded: false });

/** Reads `owner`'s queue (live) for everything below it. */
export function OutboxProvider(props: { services: Services; owner: string; children: ComponentChildren }): JSX.Element {
  const view = useOutbox(props.services, props.owner);
  return <OutboxContext.Provider value={view}>{props.children}</OutboxContext.Provider>;
}

/** The signed-in pupil's queue; empty outside an OutboxProvider (nobody signed in). */
export const useOutboxView = (): OutboxView => useContext(OutboxContext);
