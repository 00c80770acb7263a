/**
 * The recovery period every API answer carries (cartable-recovery-period): how widely, in seconds, this server's
 * devices should spread their attempts while it cannot be reached. With P = 1.25 × pupils / capacity (the capacity the
 * deployment measured, capacity-meter.ts, not a typed figure), devices that
 * each retry on their own phase of P come back at about 0.8 × capacity when it returns, and all within P.
 */
import { RECOVERY_PERIOD_HEADER } from '../protocol/paths.ts';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from './context.ts';
import { countPupils } from './db/queries.ts';

/** Headroom: devices return at 1 / HEADROOM of capacity, leaving room for randomness and other work. */
const HEADROOM = 1.25;

/** In tenths of a second: rounding up to whole seconds made a 2,000-pupil school's drain 4 % longer than needed. */
export function recoveryPeriodSeconds(pupils: number, capacityPerSecond: number): number {
  return Math.max(10, Math.ceil((10 * HEADROOM * pupils) / Math.max(0.001, capacityPerSecond)) / 10);
}

/** Installs the header on every API answer; returns the current value, for answers written outside Fastify. */
export function installRecoveryPeriod(
  app: FastifyInstance,
  ctx: AppContext,
  /** The deployment's writes/s as measured now (capacity-share.ts), read once a minute with the pupils. */
  capacityPerSecond: () => number,
): () => string | undefined {
  let cached: { header: string; at: number } | undefined;
  let counting: Promise<void> | undefined;
  const refresh = async () => {
    const pupils = await countPupils(ctx.db).catch(() => undefined);
    if (pupils !== undefined)
      cached = { header: String(recoveryPeriodSeconds(pupils, capacityPerSecond())), at: ctx.now().getTime() };
  };
  app.addHook('onSend', (request, reply, payload, done) => {
    if (!request.url.startsWith('/api/')) {
      done(null, payload);
      return;
    }
    const send = () => {
      if (cached) void reply.header(RECOVERY_PERIOD_HEADER, cached.header);
      done(null, payload);
    };
    // Counted once a minute at most; meanwhile every answer uses the last count without waiting for the database.
    if (!cached || ctx.now().getTime() - cached.at > 60_000) {
      counting ??= refresh().finally(() => {
        counting = undefined;
      });
      if (!cached) {
        counting.then(send, send);
        return;
      }
    }
    send();
  });
  return () => cached?.header;
}
