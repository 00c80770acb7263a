/**
 * The week a pupil sees: what the device holds, shown at once (no network needed), then brought up to date by the
 * sync core's atomic install when the server answers.
 */
import { useEffect, useState } from 'preact/hooks';
import type { WeekManifest } from '../protocol/schemas.ts';
import type { SessionRecord } from '../storage/db.ts';
import { TransportError } from '../sync/ports.ts';
import { InstallError, installWeek } from '../sync/week-install.ts';
import type { Services } from './services.ts';

export type WeekStatus =
  | { kind: 'checking' }
  | { kind: 'downloading'; done: number; total: number }
  | { kind: 'ready' }
  | { kind: 'offline' }
  | { kind: 'not-published' }
  | { kind: 'expired' }
  | { kind: 'error' };

export interface WeekState {
  manifest: WeekManifest | undefined;
  /** True once the device's copy has been read (present or not). */
  loaded: boolean;
  status: WeekStatus;
}

export function useWeek(services: Services, session: SessionRecord, classId: string, week: string): WeekState {
  const [state, setState] = useState<WeekState>({ manifest: undefined, loaded: false, status: { kind: 'checking' } });

  useEffect(() => {
    let live = true;
    const update = (patch: Partial<WeekState>) => {
      if (live) setState((s) => ({ ...s, ...patch }));
    };
    const run = async () => {
      const installed = await services.weeks.get(classId, week);
      update({ manifest: installed?.manifest, loaded: true });
      try {
        const result = await installWeek(
          {
            transport: services.transport,
            files: services.files,
            weeks: services.weeks,
            hasher: services.hasher,
            clock: services.clock,
            headers: { authorization: `Bearer ${session.token}` },
            onProgress: (done, total) => {
              if (done < total) update({ status: { kind: 'downloading', done, total } });
            },
          },
          classId,
          week,
        );
        if (result.status === 'not-published') update({ status: { kind: 'not-published' } });
        else update({ manifest: result.manifest, status: { kind: 'ready' } });
      } catch (err) {
        if (err instanceof TransportError) update({ status: { kind: 'offline' } });
        else if (err instanceof InstallError && err.status === 401) update({ status: { kind: 'expired' } });
        else update({ status: { kind: 'error' } });
      }
    };
    run().catch(() => update({ loaded: true, status: { kind: 'error' } }));
    return () => {
      live = false;
    };
  }, [services, session.token, classId, week]);

  return state;
}
