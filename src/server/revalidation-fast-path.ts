/**
 * The most frequent request answered before Fastify: a manifest revalidation whose answer is already known. When
 * the token, the user's classes and the week's current version are all in the hot caches (hot-cache.ts) and the
 * If-None-Match names the current ETag, the answer is a 304 with the same headers the route sends, written straight
 * to the socket. Anything else (a cache miss, a changed week, an unknown token) goes to Fastify as usual, which
 * fills the caches. Skipping the framework's routing, hooks and handler for this one answer is what brings a 304
 * near a bare hello-world (bench:delta).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DEVICE_REPORT_HEADER, RECOVERY_PERIOD_HEADER } from '../protocol/paths.ts';
import type { AccessLogLine } from './access-log.ts';
import { bearerToken } from './auth/authenticate.ts';
import type { AppContext } from './context.ts';
import { knownRevalidation, noteRevalidation, revalidationHeaders } from './routes/weeks.ts';

const MANIFEST_PATH = /^\/api\/classes\/([A-Za-z0-9_-]{1,64})\/weeks\/(\d{4}-W\d{2})$/;
const ROUTE = '/api/classes/:classId/weeks/:week';

export function revalidationFastPath(
  ctx: AppContext,
  recoveryPeriod: () => string | undefined,
  log?: (line: AccessLogLine) => void,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    const ifNoneMatch = req.headers['if-none-match'];
    if (!ctx.hot || req.method !== 'GET' || !ifNoneMatch) return false;
    const path = MANIFEST_PATH.exec(req.url ?? '');
    const classId = path?.[1];
    const week = path?.[2];
    const token = bearerToken(req.headers.authorization);
    if (!classId || !week || !token) return false;
    // The route's own decision, from the caches (routes/weeks.ts): never a second copy of its rules here.
    const etag = knownRevalidation(ctx, token, classId, week, ifNoneMatch);
    if (etag === undefined) return false;
    const report = req.headers[DEVICE_REPORT_HEADER];
    noteRevalidation(ctx, token, classId, week, typeof report === 'string' ? report : undefined);
    const headers = revalidationHeaders(etag);
    const period = recoveryPeriod();
    if (period) headers[RECOVERY_PERIOD_HEADER] = period;
    const started = performance.now();
    res.writeHead(304, headers);
    res.end();
    log?.({ arrivalMs: Date.now(), method: 'GET', status: 304, durationMs: performance.now() - started, route: ROUTE });
    return true;
  };
}
