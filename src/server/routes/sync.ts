/**
 * What a device needs to plan its prefetch: the school's off-peak policy, and its own seat in the school (which
 * spreads the devices' slots evenly over the window; src/sync/slot-planner.ts).
 */
import { HOMEWORK_LIMITS } from '../../protocol/homework-files.ts';
import { Type } from 'typebox';
import { DeviceId, DeviceReply, type SendPeak, SyncPolicyReply } from '../../protocol/schemas.ts';
import { ACCESS_OR_DEVICE, authenticate, currentUser } from '../auth/authenticate.ts';
import type { RoutePlugin } from '../context.ts';
import { findSchool, registerDevice } from '../db/queries.ts';
import { notFound } from '../errors.ts';
import { forecastPeaks } from '../peak-forecast.ts';
import { authErrors, bearer } from './common.ts';

export interface OffPeakWindow {
  windowStart: string;
  windowEnd: string;
  days: number[];
  keepPreviousWeeks: number;
  /** The server's peak hours, when devices hold back part of their new work (src/protocol/send-peaks.ts). */
  sendPeaks?: SendPeak[];
  /** Learn the peaks from each school's last week of submissions instead (SEND_PEAKS=auto). */
  learnPeaks?: { days: number[] };
}

/** How long learnt peaks are kept before counting again. */
const LEARNT_PEAKS_TTL_MS = 3_600_000;

export const DEFAULT_WINDOW: OffPeakWindow = {
  windowStart: '19:00',
  windowEnd: '07:00',
  days: [1, 2, 3, 4, 5, 6, 7],
  keepPreviousWeeks: 2,
};

export const syncRoutes: RoutePlugin = async (app, { ctx }) => {
  const { learnPeaks, ...window } = ctx.offPeak ?? DEFAULT_WINDOW;
  const learnt = new Map<string, { peaks: Promise<SendPeak[]>; until: number }>();
  /** A school's learnt peaks, counted at most once an hour per instance. */
  const peaksOf = (school: { id: string; time_zone: string }): Promise<SendPeak[]> => {
    const now = ctx.now();
    const cached = learnt.get(school.id);
    if (cached && cached.until > now.getTime()) return cached.peaks;
    const peaks = forecastPeaks(
      ctx.db,
      { id: school.id, timeZone: school.time_zone },
      ctx.capacity?.().deploymentWritesPerSecond ?? ctx.capacityPerSecond ?? 100,
      learnPeaks?.days ?? [1, 2, 3, 4, 5],
      now,
    ).catch((): SendPeak[] => []);
    learnt.set(school.id, { peaks, until: now.getTime() + LEARNT_PEAKS_TTL_MS });
    return peaks;
  };

  app.get(
    '/sync-policy',
    {
      onRequest: authenticate(ctx, ACCESS_OR_DEVICE),
      schema: {
        summary: 'When this school’s devices prefetch: the off-peak window in its time zone, and weeks kept',
        security: bearer,
        response: { 200: SyncPolicyReply, ...authErrors },
      },
    },
    async (request, reply) => {
      const school = await findSchool(ctx.db, currentUser(request).school_id);
      if (!school) throw notFound('École introuvable.');
      void reply.header('cache-control', 'private, max-age=3600');
      const sendPeaks = learnPeaks ? await peaksOf(school) : (window.sendPeaks ?? []);
      // Admission must know what was announced: refused clients are sent past the held-back window.
      ctx.peaks?.announce(school.id, school.time_zone, sendPeaks);
      const limits = ctx.homework ?? HOMEWORK_LIMITS;
      const homework = { ...limits, types: [...limits.types] };
      return learnPeaks
        ? { timeZone: school.time_zone, ...window, sendPeaks, homework }
        : { timeZone: school.time_zone, ...window, homework };
    },
  );

  app.put(
    '/devices/:deviceId',
    {
      onRequest: authenticate(ctx, ACCESS_OR_DEVICE),
      schema: {
        summary:
          'Register this device (its id is made on the device); answers its seat in the school, the same each time',
        security: bearer,
        params: Type.Object({ deviceId: DeviceId }),
        response: { 200: DeviceReply, ...authErrors },
      },
    },
    async (request) => {
      const user = currentUser(request);
      const seat = await registerDevice(ctx.db, request.params.deviceId, user.school_id, ctx.now().toISOString());
      return { deviceId: request.params.deviceId, seat };
    },
  );
};
