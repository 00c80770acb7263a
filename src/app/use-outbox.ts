/** The pupil's queue as the UI sees it: their items, newest first, and any unreadable records; live-updated. */
import { useEffect, useState } from 'preact/hooks';
import { kindOf, type OutboxItem } from '../sync/ports.ts';
import type { Services } from './services.ts';

/** Shortest interval between two full re-reads of the queue. */
const RELOAD_MS = 300;

export interface OutboxView {
  items: OutboxItem[];
  corrupt: string[];
  loaded: boolean;
}

export function useOutbox(services: Services, owner: string): OutboxView {
  const [view, setView] = useState<OutboxView>({ items: [], corrupt: [], loaded: false });
  useEffect(() => {
    let live = true;
    const load = async () => {
      const entries = await services.outbox.list();
      const items = entries
        // A read mark is plumbing, not work of the pupil's: it drains with the rest but is not listed.
        .flatMap((e) => (e.ok && e.item.owner === owner && kindOf(e.item) !== 'seen' ? [e.item] : []))
        .sort((a, b) => b.createdAt - a.createdAt);
      const corrupt = entries.flatMap((e) => (e.ok ? [] : [e.id]));
      if (live) setView({ items, corrupt, loaded: true });
    };
    // A drain changes items one by one: coalesce the re-reads so a queue of thousands costs a few reads per second,
    // not one full read per item.
    let running = false;
    let again = false;
    const reload = () => {
      if (running) {
        again = true;
        return;
      }
      running = true;
      const cycle = async () => {
        const started = performance.now();
        await load().catch(() => undefined);
        // The bigger the queue, the longer a read: space reads out so they never take more than a fifth of the
        // main thread, which the drain needs too.
        const spent = performance.now() - started;
        await new Promise((r) => setTimeout(r, Math.max(RELOAD_MS, 4 * spent)));
        running = false;
        if (again && live) {
          again = false;
          reload();
        }
      };
      void cycle();
    };
    reload();
    services.events.addEventListener('outbox-changed', reload);
    return () => {
      live = false;
      services.events.removeEventListener('outbox-changed', reload);
    };
  }, [services, owner]);
  return view;
}

/** Items that have not reached the server yet. */
export const waiting = (items: OutboxItem[]): OutboxItem[] =>
  items.filter((i) => i.state === 'pending' || i.state === 'sending');

/** Items the server refused: they stay on the device until the pupil corrects or withdraws them. */
export const refused = (items: OutboxItem[]): OutboxItem[] => items.filter((i) => i.state === 'refused');

/** Items the pupil may still change or withdraw: not sent yet, or refused. */
export const changeable = (item: OutboxItem): boolean => item.state === 'pending' || item.state === 'refused';
