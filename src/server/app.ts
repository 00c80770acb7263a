/**
 * Builds the Cartable server as a Fastify instance: the JSON API under /api (schemas validate input and document
 * the API as OpenAPI 3 at /api/openapi.json) and, when a built client is given, the PWA itself.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { CapacityStatus } from '../protocol/schemas.ts';
import { SharedCapacity } from './capacity-share.ts';
import { installAccessLog } from './access-log.ts';
import { revalidationFastPath } from './revalidation-fast-path.ts';
import { HotCaches } from './hot-cache.ts';
import { PupilContacts } from './pupil-contacts.ts';
import { PeakCalendar } from './peak-calendar.ts';
import { accountRoutes } from './routes/accounts.ts';
import { publishingRoutes } from './routes/publishing.ts';
import { schoolRoutes } from './routes/school.ts';
import { syncRoutes } from './routes/sync.ts';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyServerOptions } from 'fastify';
import { RECOVERY_PERIOD_HEADER } from '../protocol/paths.ts';
import { type AdmissionOptions, DEFAULT_ADMISSION, installAdmission, shedBeforeFastify } from './admission.ts';
import type { AppContext } from './context.ts';
import { ConnectionGuard, DEFAULT_GUARD, type GuardOptions } from './connection-guard.ts';
import { frameworkError, installErrorHandler } from './errors.ts';
import { installRecoveryPeriod } from './recovery-period.ts';
import { installSealedBodies } from './sealing.ts';
import { installSecurityHeaders } from './security-headers.ts';
import { authRoutes } from './routes/auth.ts';
import { fileRoutes } from './routes/files.ts';
import { healthRoutes } from './routes/health.ts';
import { keyRoutes } from './routes/keys.ts';
import { meRoutes } from './routes/me.ts';
import { feedbackRoutes } from './routes/feedback.ts';
import { readinessRoutes } from './routes/readiness.ts';
import { submissionRoutes } from './routes/submissions.ts';
import { uploadRoutes } from './routes/uploads.ts';
import { weekRoutes } from './routes/weeks.ts';

export interface BuildOptions {
  /** The built PWA (dist/client); the API alone when absent. */
  clientDir?: string;
  logger?: FastifyServerOptions['logger'];
  /** Appends one line per API request to this file (see access-log.ts). */
  accessLog?: string | undefined;
  /** Largest JSON body accepted, in bytes. */
  bodyLimit?: number;
  /** Load shedding thresholds (see admission.ts). */
  admission?: Partial<AdmissionOptions>;
  /**
   * Writes per second the server takes until it has measured itself (SERVER_CAPACITY): the recovery period devices
   * spread over, the rate of return slots and the learnt peaks then follow the measured figure (capacity-meter.ts).
   */
  capacityPerSecond?: number;
  /** Never announce more writes/s than this (SERVER_CAPACITY_CEILING). */
  capacityCeiling?: number;
  /** How often this instance reports its capacity to the database and reads the others', ms; 0 never (tests). */
  shareCapacityMs?: number;
  /** This instance's name in the shared reports, kept across its restarts (INSTANCE_ID); a random one when unset. */
  instanceId?: string;
  /** Batch concurrent submissions into one transaction (default on). */
  groupCommit?: boolean;
  /** Bounds on sockets, timeouts and bodies in flight (connection-guard.ts). */
  guard?: Partial<GuardOptions>;
}

export const VERSION = '0.1.0';

/** Creates the app; the caller listens (main.ts) or injects (tests). */
export async function buildApp(given: AppContext, options: BuildOptions = {}): Promise<FastifyInstance> {
  const peaks = given.peaks ?? new PeakCalendar();
  const ctx: AppContext = {
    ...given,
    hot: given.hot ?? new HotCaches(),
    peaks,
    contacts: given.contacts ?? new PupilContacts(given.db),
  };
  // Set once the app is built: the revalidations it can answer before Fastify (none until then).
  let fastPath: ((req: IncomingMessage, res: ServerResponse) => boolean) | undefined;
  // Set once admission is installed: writes refused while the gate is full, answered before Fastify.
  let shedPath: ((req: IncomingMessage, res: ServerResponse) => boolean) | undefined;
  const guard = new ConnectionGuard({ ...DEFAULT_GUARD, ...options.guard });
  const app = Fastify({
    serverFactory: (handler) => {
      const server = createServer((req, res) => {
        if (!guard.admit(req, res) && !shedPath?.(req, res) && !fastPath?.(req, res)) handler(req, res);
      });
      guard.install(server);
      return server;
    },
    logger: options.logger ?? false,
    frameworkErrors: (err, _request, reply) => {
      const { status, body } = frameworkError(err);
      void (reply as FastifyReply).code(status).send(body);
    },
    bodyLimit: options.bodyLimit ?? 256 * 1024,
    // Unknown fields are an error, not silently dropped: a client that sends them has a bug worth seeing.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  installErrorHandler(app);
  installSecurityHeaders(app);
  // The capacity until the server has measured itself; then what this instance measured it can take, and the
  // deployment with it (set once admission is installed).
  const prior = options.capacityPerSecond ?? ctx.capacityPerSecond ?? 100;
  let capacity: (() => CapacityStatus) | undefined;
  const recoveryPeriod = installRecoveryPeriod(app, ctx, () => capacity?.().deploymentWritesPerSecond ?? prior);
  const accessLog = options.accessLog
    ? installAccessLog(app, options.accessLog, () => {
        const c = capacity?.();
        return c ? { capacity: c.writesPerSecond, slots: c.concurrencyLimit } : {};
      })
    : undefined;
  fastPath = revalidationFastPath(ctx, recoveryPeriod, accessLog);
  // A 304 has no body. The route's schema serialises its null as "null", and Fastify would then announce
  // content-length: 4, which makes HTTP clients drop the connection instead of reusing it; hand Fastify a null
  // payload, for which it writes a bare 304.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (reply.statusCode !== 304) {
      done(null, payload);
      return;
    }
    reply.removeHeader('content-type');
    done(null, null);
  });
  // The API speaks JSON (file uploads add their own parser where they need one): anything else is a 415.
  app.removeContentTypeParser('text/plain');
  installSealedBodies(app, ctx);

  const admission = await installAdmission(
    app,
    {
      ...DEFAULT_ADMISSION,
      capacityPerSecond: prior,
      ...(options.capacityCeiling === undefined ? {} : { capacityCeiling: options.capacityCeiling }),
      heldBackUntil: () => peaks.heldBackUntil(ctx.now().getTime()),
      ...options.admission,
    },
    () => ctx.now().getTime(),
    (req, status) => guard.answered(req, status),
  );
  ctx.overloaded = () => admission.saturated();
  const shared = new SharedCapacity(ctx.db, options.instanceId ?? randomUUID(), () => ctx.now().getTime(), {
    writesPerSecond: () => admission.capacity.reading().writesPerSecond,
    saturated: () => admission.capacity.meter.saturated(),
    restore: (kept) => admission.capacity.meter.restore(kept),
  });
  capacity = () => {
    const own = admission.capacity.reading();
    const deployment = shared.deployment();
    return {
      writesPerSecond: own.writesPerSecond,
      source: own.source,
      concurrencyLimit: own.concurrencyLimit,
      deploymentWritesPerSecond: deployment.writesPerSecond,
      instances: deployment.instances,
    };
  };
  ctx.capacity = capacity;
  const shareMs = options.shareCapacityMs ?? 10_000;
  if (shareMs > 0) {
    void shared.refresh();
    const timer = setInterval(() => void shared.refresh(), shareMs);
    timer.unref();
    app.addHook('onClose', async () => {
      clearInterval(timer);
      await shared.leave();
    });
  }
  app.addHook('onClose', async () => ctx.contacts?.close());
  ctx.secretChecks = admission.secretChecks;
  shedPath = shedBeforeFastify(
    admission,
    () => {
      const period = recoveryPeriod();
      return period ? { [RECOVERY_PERIOD_HEADER]: period } : {};
    },
    accessLog,
    (socket) => guard.linger(socket),
  );

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Cartable API', version: VERSION, description: 'Lessons, weeks and files of Cartable.' },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } },
    },
  });

  await app.register(
    async (api) => {
      await api.register(healthRoutes, { ctx });
      await api.register(authRoutes, { ctx });
      await api.register(meRoutes, { ctx });
      await api.register(weekRoutes, { ctx });
      await api.register(fileRoutes, { ctx });
      await api.register(keyRoutes, { ctx });
      await api.register(syncRoutes, { ctx });
      await api.register(publishingRoutes, { ctx });
      await api.register(accountRoutes, { ctx });
      await api.register(schoolRoutes, { ctx });
      await api.register(uploadRoutes, { ctx });
      await api.register(feedbackRoutes, { ctx });
      await api.register(readinessRoutes, { ctx });
      await api.register(submissionRoutes, { ctx, groupCommit: options.groupCommit ?? true });
      api.get('/openapi.json', { schema: { hide: true } }, async () => api.swagger());
    },
    { prefix: '/api' },
  );

  const clientDir = options.clientDir;
  const hasClient = clientDir !== undefined && existsSync(join(clientDir, 'index.html'));
  if (hasClient) {
    await app.register(fastifyStatic, {
      root: clientDir,
      cacheControl: false,
      setHeaders(reply, path) {
        // Vite names built assets by their hash: they never change. The rest (index.html, sw.js) must revalidate.
        const immutable = path.startsWith(join(clientDir, 'assets'));
        void reply.header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    });
  }

  app.setNotFoundHandler(async (request, reply) => {
    const isPage = request.method === 'GET' && !request.url.startsWith('/api/') && hasClient;
    if (isPage && (request.headers.accept ?? '').includes('text/html')) {
      // The app routes its own paths (/lecons/…): any page URL gets the app shell.
      return reply.header('cache-control', 'no-cache').type('text/html').sendFile('index.html');
    }
    return reply
      .status(404)
      .send({ error: 'not_found', message: `Aucune ressource à ${request.method} ${request.url}.` });
  });

  return app;
}
