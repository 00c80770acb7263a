/**
 * The week a pupil sees: what the device holds, shown at once (opening it costs the server nothing), kept up to date
 * by the prefetch core at this device's off-peak slot. While the app is open it looks every minute whether a check
 * is due (reading the device only, unless it is); a missing current week is fetched at once. Checks made by the
 * service worker (Periodic Background Sync) or another tab are picked up from their broadcast.
 */
import { useCallback, useEffect, useState } from 'preact/hooks';
import type { WeekManifest } from '../protocol/schemas.ts';
import type { ActiveSession } from './session.ts';
import { PREFETCH_CHANNEL } from '../storage/channels.ts';
import type { Services } from './services.ts';

export type WeekStatus =
  | { kind: 'checking' }
  | { kind: 'downloading'; done: number; total: number }
  | { kind: 'ready' }
  | { kind: 'offline' }
  | { kind: 'not-published' }
  | { kind: 'expired' }
  | { kind: 'no-room'; neededBytes: number; freeBytes: number }
  | { kind: 'error' };

export interface WeekState {
  manifest: WeekManifest | undefined;
  /** True once the device's copy has been read (present or not). */
  loaded: boolean;
  status: WeekStatus;
  /** When this device next checks for new versions (its off-peak slot). */
  nextCheckAt: number | undefined;
}

/** How often the open app asks the prefetch core whether a check is due. */
export const PREFETCH_TIMER_MS = 60_000;

export function useWeek(
  services: Services,
  session: ActiveSession,
  classId: string,
  week: string,
): WeekState & { checkNow: () => void } {
  const [state, setState] = useState<WeekState>({
    manifest: undefined,
    loaded: false,
    status: { kind: 'checking' },
    nextCheckAt: undefined,
  });
  const [asked, setAsked] = useState(0);

  useEffect(() => {
    let live = true;
    const update = (patch: Partial<WeekState>) => {
      if (live) setState((s) => ({ ...s, ...patch }));
    };
    const reread = async () => {
      const installed = await services.weeks.get(classId, week);
      const prefetch = await services.device.prefetch(classId);
      update({ manifest: installed?.manifest, loaded: true, nextCheckAt: prefetch?.nextCheckAt });
      return installed;
    };
    const check = async (askedNow: boolean) => {
      if (askedNow) update({ status: { kind: 'checking' } });
      // The prefetch core loads after the week the device holds is on screen (its own chunk, precached).
      const { runPrefetch } = await import('../storage/prefetch-wiring.ts');
      const outcome = await runPrefetch(services.db, {
        owner: session.user.id,
        asked: askedNow,
        onWeekProgress: (w, done, total) => {
          if (w === week && done < total) update({ status: { kind: 'downloading', done, total } });
        },
      });
      const installed = await reread();
      if (outcome.kind === 'failed')
        update({
          status:
            outcome.reason === 'no-room'
              ? {
                  kind: 'no-room',
                  neededBytes: outcome.room?.neededBytes ?? 0,
                  freeBytes: outcome.room?.freeBytes ?? 0,
                }
              : { kind: outcome.reason },
        });
      else if (outcome.kind === 'checked' && outcome.results[week] === 'not-published' && !installed)
        update({ status: { kind: 'not-published' } });
      else if (installed) update({ status: { kind: 'ready' } });
      else if (outcome.kind === 'checked') update({ status: { kind: 'not-published' } });
    };
    const run = (askedNow: boolean) => void check(askedNow).catch(() => update({ status: { kind: 'error' } }));
    reread()
      .then(() => run(asked > 0))
      .catch(() => update({ loaded: true, status: { kind: 'error' } }));
    const timer = setInterval(() => run(false), PREFETCH_TIMER_MS);
    const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(PREFETCH_CHANNEL) : undefined;
    channel?.addEventListener('message', () => {
      const refresh = async () => {
        if (await reread()) update({ status: { kind: 'ready' } });
      };
      refresh().catch(() => undefined);
    });
    return () => {
      live = false;
      clearInterval(timer);
      channel?.close();
    };
  }, [services, session.user.id, classId, week, asked]);

  const checkNow = useCallback(() => setAsked((n) => n + 1), []);
  return { ...state, checkNow };
}
