/**
 * When homework is waiting because the server refused or did not answer, says so, and when it will go, instead of
 * an error: "Serveur très chargé — ton devoir partira automatiquement vers 8 h 47".
 */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { ServerBackoff } from '../../sync/ports.ts';
import { formatClock } from '../format.ts';
import { useI18n } from '../i18n/index.ts';
import type { Services } from '../services.ts';

/** Errors that mean the server answered but is shedding load (or the device is holding back because of it). */
const BUSY = new Set(['overloaded', 'too_many_attempts', 'throttled', 'http_429', 'http_503', 'unavailable']);

export function useServerBackoff(services: Services): ServerBackoff | undefined {
  const [backoff, setBackoff] = useState<ServerBackoff>();
  useEffect(() => {
    let live = true;
    const read = () => {
      services.syncState
        .getBackoff()
        .then((b) => {
          if (live) setBackoff(b);
          return undefined;
        })
        .catch(() => undefined);
    };
    read();
    services.events.addEventListener('outbox-changed', read);
    const timer = setInterval(read, 15_000);
    return () => {
      live = false;
      services.events.removeEventListener('outbox-changed', read);
      clearInterval(timer);
    };
  }, [services]);
  return backoff;
}

export function ServerWait(props: { services: Services; waiting: number; timeZone: string }): JSX.Element | null {
  const { t, locale } = useI18n();
  const backoff = useServerBackoff(props.services);
  // A wait after a failure, or the device's own slot to come back after a silence (sync/outbox.ts, rejoining).
  const rejoin = backoff?.lastError === 'rejoin';
  if (!backoff || props.waiting === 0 || (backoff.failures === 0 && !rejoin) || backoff.nextAttemptAt <= Date.now())
    return null;
  const time = formatClock(backoff.nextAttemptAt, locale, props.timeZone);
  const busy = BUSY.has(backoff.lastError ?? '');
  return (
    <p role="status" class="server-wait">
      {rejoin
        ? t('outbox.rejoin', { time })
        : busy
          ? t('outbox.serverBusy', { time })
          : t('outbox.serverDown', { time })}
    </p>
  );
}
