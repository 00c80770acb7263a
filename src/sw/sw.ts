/// <reference lib="webworker" />
/**
 * Cartable's service worker: listeners only. The app shell is precached (the build injects its list); every page
 * URL answers with the shell, so a reload works offline; lesson files come from the device's IndexedDB.
 */
import { clientsClaim } from 'workbox-core';
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import type { PageToWorker } from '../protocol/messages.ts';
import { openCartableDb } from '../storage/db.ts';
import { IdbFileStore } from '../storage/idb-stores.ts';
import { OUTBOX_SYNC_TAG, PREFETCH_SYNC_TAG } from '../storage/channels.ts';
import { fileHandler } from './file-route.ts';
import { drainFromWorker, prefetchFromWorker } from './outbox-sync.ts';
import { IMMUTABLE_FILE_PATH } from './paths.ts';

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: (string | { url: string; revision: string | null })[] };

/** Background Sync and Periodic Background Sync (Chromium): not in TypeScript's WebWorker library. */
interface SyncEvent extends ExtendableEvent {
  readonly tag: string;
}

// oxlint-disable-next-line no-underscore-dangle -- the name the build looks for to inject the precache list
precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();
// The first install takes control at once so the first visit already works offline; later versions wait for the
// pupil to accept the update prompt (SKIP_WAITING below).
clientsClaim();

/**
 * The Service Worker Static Routing API (Chromium 123+): an installing worker may declare URL patterns that go
 * straight to the network without waking it. Not in TypeScript's WebWorker library; Firefox and Safari lack it.
 */
interface RouterInstallEvent extends ExtendableEvent {
  addRoutes(rules: { condition: { urlPattern: string }; source: 'network' }[]): Promise<void>;
}
const hasStaticRouting = (event: ExtendableEvent): event is RouterInstallEvent => 'addRoutes' in event;

// The outbox's requests (homework, its files, publications, token refresh) never need the worker: where the browser
// allows it they skip it, saving a worker hop per item when a week's queue drains (bench:outbox). Elsewhere the fetch
// listener below ignores them (no respondWith), so they go to the network all the same, only a little slower.
self.addEventListener('install', (event) => {
  if (!hasStaticRouting(event)) return;
  const patterns = ['/api/submissions/*', '/api/uploads/*', '/api/classes/*/weeks/*/publications/*', '/api/auth/*'];
  event.waitUntil(
    event.addRoutes(patterns.map((urlPattern) => ({ condition: { urlPattern }, source: 'network' }))).catch(() => {
      // A browser that knows the API but refuses these rules: the worker's own routing still lets them through.
    }),
  );
});

registerRoute(new NavigationRoute(createHandlerBoundToURL('/index.html'), { denylist: [/^\/api\//] }));

let files: Promise<IdbFileStore> | undefined;
const fileStore = () => (files ??= openCartableDb().then((db) => new IdbFileStore(db)));
registerRoute(
  ({ url, request }) => request.method === 'GET' && IMMUTABLE_FILE_PATH.test(url.pathname),
  fileHandler(fileStore),
);

self.addEventListener('message', (event: ExtendableMessageEvent) => {
  const message = event.data as PageToWorker | undefined;
  if (message?.type === 'SKIP_WAITING') void self.skipWaiting();
});

// Homework queued while offline leaves as soon as the browser sees a network, even with the app closed; once it
// has left, a prefetch check may follow (submissions go first).
self.addEventListener('sync', (event) => {
  const sync = event as SyncEvent;
  if (sync.tag === OUTBOX_SYNC_TAG) sync.waitUntil(drainFromWorker());
});

// Periodic Background Sync (installed PWA on Chromium): the browser wakes the worker now and then; the prefetch core
// decides whether this device's off-peak slot is due, and checks only then (or at once for a missing current week).
self.addEventListener('periodicsync', (event) => {
  const sync = event as SyncEvent;
  if (sync.tag === PREFETCH_SYNC_TAG) sync.waitUntil(prefetchFromWorker());
});
