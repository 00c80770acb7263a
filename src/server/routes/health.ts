/** Liveness and readiness for people and load balancers. */
import { ErrorBody, HealthReply, ReadyReply } from '../../protocol/schemas.ts';
import { ping } from '../db/queries.ts';
import type { RoutePlugin } from '../context.ts';

export const healthRoutes: RoutePlugin = async (app, { ctx }) => {
  app.get(
    '/health',
    { schema: { summary: 'The server and its database are usable', response: { 200: HealthReply, 503: ErrorBody } } },
    async (_request, reply) => {
      const ok = await ping(ctx.db).catch(() => false);
      if (!ok)
        return reply.status(503).send({ error: 'database_unavailable', message: 'La base de données ne répond pas.' });
      return { status: 'ok' as const, database: 'ok' as const };
    },
  );

  // Readiness: whether a load balancer should send this instance new work (liveness is /api/health).
  app.get(
    '/ready',
    {
      schema: {
        summary: 'Ready for new work: database usable and not shedding load; with the capacity it measured',
        response: { 200: ReadyReply, 503: ErrorBody },
      },
    },
    async (_request, reply) => {
      const ok = await ping(ctx.db).catch(() => false);
      if (!ok)
        return reply.status(503).send({ error: 'database_unavailable', message: 'La base de données ne répond pas.' });
      if (app.isUnderPressure() || ctx.overloaded?.())
        return reply.status(503).send({ error: 'overloaded', message: 'Instance surchargée.' });
      // buildApp sets it before any route is registered; a context without it has nothing measured to show.
      const capacity = ctx.capacity?.();
      return { status: 'ok' as const, database: 'ok' as const, ...(capacity ? { capacity } : {}) };
    },
  );
};
