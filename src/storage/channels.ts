/**
 * The names the page, its tabs and the service worker meet on: BroadcastChannels and Background Sync tags. In a
 * module of their own so the first screen can listen for changes without loading the sync engine that makes them.
 * Persisted names: do not rename.
 */

/** The channel on which outbox changes are announced. */
export const OUTBOX_CHANNEL = 'cartable-outbox';
/** The Background Sync tag the page registers and the worker answers. */
export const OUTBOX_SYNC_TAG = 'cartable-outbox';
/** The Periodic Background Sync tag the page registers and the worker answers. */
export const PREFETCH_SYNC_TAG = 'cartable-prefetch';
/** The channel on which a finished check is announced, so an open page shows the new week at once. */
export const PREFETCH_CHANNEL = 'cartable-prefetch';
