/**
 * The page side of the service worker: registration, and the update prompt. A new version never takes over by
 * itself (a pupil may be typing); when one waits, `onUpdateReady` is called with a function that applies it.
 */

export interface Registration {
  /** Asks the browser to look for a new version now (it also does so on navigations). */
  checkForUpdate: () => Promise<void>;
}

/** Registers /sw.js; resolves undefined where service workers are unavailable (old browsers, insecure origins). */
export async function registerServiceWorker(
  onUpdateReady: (apply: () => void) => void,
): Promise<Registration | undefined> {
  if (!('serviceWorker' in navigator)) return undefined;
  // workbox-window loads after the first screen: registration waits for the page anyway.
  const { Workbox } = await import('workbox-window');
  const wb = new Workbox('/sw.js', { scope: '/' });
  wb.addEventListener('waiting', () => {
    onUpdateReady(() => {
      // Reload once the new worker controls the page, so page and worker run the same version.
      wb.addEventListener('controlling', () => location.reload());
      wb.messageSkipWaiting();
    });
  });
  await wb.register();
  return { checkForUpdate: () => wb.update() };
}

/**
 * Asks the browser to wake the service worker to drain the outbox once the network is back, even if the page is
 * closed (Chromium's Background Sync). Elsewhere it does nothing: the page drains on open and while open.
 */
export async function requestOutboxSync(tag: string): Promise<boolean> {
  if (!('serviceWorker' in navigator)) return false;
  const registration = await navigator.serviceWorker.getRegistration();
  if (!registration || !hasBackgroundSync(registration)) return false;
  await registration.sync.register(tag);
  return true;
}

/** Background Sync is not in TypeScript's DOM library: Chromium has it, Firefox and Safari do not. */
type SyncCapable = ServiceWorkerRegistration & { sync: { register(tag: string): Promise<void> } };
const hasBackgroundSync = (r: ServiceWorkerRegistration): r is SyncCapable => 'sync' in r;

/** Periodic Background Sync is not in TypeScript's DOM library either (Chromium, installed PWAs only). */
type PeriodicSyncCapable = ServiceWorkerRegistration & {
  periodicSync: { register(tag: string, options: { minInterval: number }): Promise<void> };
};
const hasPeriodicSync = (r: ServiceWorkerRegistration): r is PeriodicSyncCapable => 'periodicSync' in r;

/**
 * Asks the browser to wake the worker regularly so this device checks for new weeks at its off-peak slot with the
 * app closed. Chromium grants it to installed apps only; elsewhere the app checks at start and while open.
 */
export async function requestPeriodicPrefetch(tag: string, minIntervalMs = 3_600_000): Promise<boolean> {
  if (!('serviceWorker' in navigator)) return false;
  const registration = await navigator.serviceWorker.ready;
  if (!hasPeriodicSync(registration)) return false;
  try {
    const status = await navigator.permissions.query({ name: 'periodic-background-sync' as PermissionName });
    if (status.state !== 'granted') return false;
    await registration.periodicSync.register(tag, { minInterval: minIntervalMs });
    return true;
  } catch {
    return false;
  }
}
