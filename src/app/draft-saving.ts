/**
 * The machinery both editors share (the pupil's homework form and the teacher's week editor): a draft written to the
 * device shortly after the last keystroke, and work queued in the outbox then sent at once if the server can take it.
 */
import { useEffect, useMemo, useRef } from 'preact/hooks';
import { OUTBOX_SYNC_TAG } from '../storage/channels.ts';
import { requestOutboxSync } from '../sw-bridge/register.ts';
import type { OutboxItem, StoredFile } from '../sync/ports.ts';
import type { Services } from './services.ts';

export const DRAFT_DELAY_MS = 400;

/**
 * Calls `write(value)` once typing pauses for `delayMs`; `cancel` drops a write not started (before a submit that
 * stores the same thing). The latest `write` is used, so it may close over the screen's current state.
 */
export function useDebouncedWrite<T>(
  write: (value: T) => Promise<void>,
  delayMs = DRAFT_DELAY_MS,
): { schedule: (value: T) => void; cancel: () => void } {
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const latest = useRef(write);
  latest.current = write;
  useEffect(() => () => clearTimeout(timer.current), []);
  return useMemo(
    () => ({
      schedule: (value: T) => {
        clearTimeout(timer.current);
        timer.current = setTimeout(() => void latest.current(value).catch(() => undefined), delayMs);
      },
      cancel: () => clearTimeout(timer.current),
    }),
    [delayMs],
  );
}

/**
 * Moves a draft into the outbox (item and files in one transaction, the draft deleted with it), then tells the page,
 * this tab's runner and the service worker. Resolves once everything is on the device; rejects when it is not.
 */
export async function queueAndSend(
  services: Services,
  draftKey: string,
  item: OutboxItem,
  files: StoredFile[],
): Promise<void> {
  await services.drafts.submit(draftKey, item, files);
  services.events.dispatchEvent(new Event('outbox-changed'));
  void services.runner.kick().catch(() => undefined);
  void requestOutboxSync(OUTBOX_SYNC_TAG).catch(() => undefined);
}
