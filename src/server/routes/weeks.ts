/** A class's published weeks: the list, and each week's manifest revalidated with ETag / If-None-Match. */
import { Type } from 'typebox';
import { isValidIsoWeek } from '../../protocol/iso-week.ts';
import { Id, IsoWeek, WeekListReply, WeekManifest } from '../../protocol/schemas.ts';
import { ACCESS_OR_DEVICE, authenticate, currentUser } from '../auth/authenticate.ts';
import { requireClassReader } from '../auth/policy.ts';
import type { RoutePlugin } from '../context.ts';
import {
  latestReleasedWeek,
  listReleasedWeeks,
  nextRelease,
  setWeekSignature,
  type WeekVersionRow,
} from '../db/queries.ts';
import { weekKey } from '../hot-cache.ts';
import type { AppContext } from '../context.ts';
import { currentSigningKey, signText } from '../receipts.ts';
import {
  DEVICE_REPORT_HEADER,
  MANIFEST_KEY_HEADER,
  MANIFEST_SIGNATURE_HEADER,
  parseDeviceReport,
} from '../../protocol/paths.ts';
import { HttpError, notFound } from '../errors.ts';
import { authErrors, bearer } from './common.ts';

/** The headers of a manifest's answer that a 304 repeats (the route and the fast path send the same). */
export const revalidationHeaders = (etag: string): Record<string, string> => ({
  etag,
  'cache-control': 'private, no-cache',
  vary: 'authorization',
});

/** True when an If-None-Match header names this ETag (or is "*"). */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((t) => {
    const tag = t.trim().replace(/^W\//, '');
    return tag === etag || tag === '*';
  });
}

/** The token kinds that may read a class's weeks: the route authenticates with these, the fast path checks them. */
export const WEEK_READERS = ACCESS_OR_DEVICE;

/**
 * The route's decision for a revalidation, made from the hot caches alone: the ETag to answer 304 with, or undefined
 * when the caches cannot tell (the route then decides, and fills them). It asks what the route asks, in its order:
 * a live token of a kind that reads weeks, a class the user reads, a real ISO week, the week's current ETag.
 * revalidation-fast-path.ts answers with it before Fastify; a test holds it to the route for every kind of token
 * and user.
 */
export function knownRevalidation(
  ctx: AppContext,
  token: string,
  classId: string,
  week: string,
  ifNoneMatch: string,
): string | undefined {
  const hot = ctx.hot;
  if (!hot || !isValidIsoWeek(week)) return undefined;
  const now = ctx.now().getTime();
  const session = hot.sessions.get(token, now);
  if (!session || !WEEK_READERS.includes(session.kind)) return undefined;
  if (!hot.classes.get(session.user.id, now)?.some((c) => c.id === classId)) return undefined;
  const row = hot.weekHeads.get(weekKey(classId, week), now);
  if (!row || !etagMatches(ifNoneMatch, row.etag)) return undefined;
  return row.etag;
}

/** A pupil's device answered 304 from the caches: it holds the week's current version (pupil-contacts.ts). */
export function noteRevalidation(
  ctx: AppContext,
  token: string,
  classId: string,
  week: string,
  report: string | undefined,
): void {
  const now = ctx.now().getTime();
  const session = ctx.hot?.sessions.get(token, now);
  if (!session) return;
  const key = weekKey(classId, week);
  // A device revalidating in a loop (or 16 connections of a benchmark) is noted once a minute per week, not at every
  // 304: "last contact" wants minutes, and the 304 stays near a bare hello-world (bench:delta).
  session.noted ??= new Map();
  if ((session.noted.get(key) ?? Number.NEGATIVE_INFINITY) > now - NOTE_EVERY_MS) return;
  session.noted.set(key, now);
  const row = ctx.hot?.weekHeads.get(key, now);
  if (row) noteHolding(ctx, session.user, classId, week, row.version, report);
}

/** How often the fast path notes one token's revalidations of one week. */
const NOTE_EVERY_MS = 60_000;

/** What a week check says: a pupil's device holds this version; a shared tablet reported its queue's count. */
export function noteHolding(
  ctx: AppContext,
  user: { id: string; role: string; school_id: string },
  classId: string,
  week: string,
  version: number,
  report: string | undefined,
): void {
  const at = ctx.now().getTime();
  if (user.role === 'pupil') ctx.contacts?.saw(user.id, classId, week, version, at);
  const device = parseDeviceReport(report);
  if (device) ctx.contacts?.sawDevice(user.school_id, device.deviceId, device.queued, classId, week, version, at);
}

/**
 * The version of a week pupils see now, through the hot cache: kept for the cache's TTL, and never past the release
 * time of a version scheduled later (which must appear exactly then).
 */
async function currentVersion(ctx: AppContext, classId: string, week: string): Promise<WeekVersionRow | undefined> {
  const now = ctx.now();
  const key = weekKey(classId, week);
  const cached = ctx.hot?.weekHeads.get(key, now.getTime());
  if (cached !== undefined) return cached ?? undefined;
  const nowIso = now.toISOString();
  const [row, scheduled] = await Promise.all([
    latestReleasedWeek(ctx.db, classId, week, nowIso),
    nextRelease(ctx.db, classId, week, nowIso),
  ]);
  if (ctx.hot) {
    const until = Math.min(now.getTime() + ctx.hot.ttlMs, scheduled ? Date.parse(scheduled) : Number.POSITIVE_INFINITY);
    ctx.hot.weekHeads.set(key, row ?? null, until);
  }
  return row;
}

export const weekRoutes: RoutePlugin = async (app, { ctx }) => {
  app.get(
    '/classes/:classId/weeks',
    {
      onRequest: authenticate(ctx, WEEK_READERS),
      schema: {
        summary: 'The published weeks of a class, newest version of each',
        security: bearer,
        params: Type.Object({ classId: Id }),
        response: { 200: WeekListReply, ...authErrors },
      },
    },
    async (request) => {
      await requireClassReader(ctx, currentUser(request), request.params.classId);
      const rows = await listReleasedWeeks(ctx.db, request.params.classId, ctx.now().toISOString());
      return { weeks: rows.map((r) => ({ week: r.week, version: r.version, etag: r.etag })) };
    },
  );

  app.get(
    '/classes/:classId/weeks/:week',
    {
      onRequest: authenticate(ctx, WEEK_READERS),
      schema: {
        summary: 'The manifest of the current version of a week; send If-None-Match to get 304 when unchanged',
        security: bearer,
        params: Type.Object({ classId: Id, week: IsoWeek }),
        response: { 200: WeekManifest, 304: Type.Null(), ...authErrors },
      },
    },
    async (request, reply) => {
      const { classId, week } = request.params;
      if (!isValidIsoWeek(week)) throw new HttpError(400, 'invalid_week', `La semaine ${week} n’existe pas.`);
      await requireClassReader(ctx, currentUser(request), classId);
      const row = await currentVersion(ctx, classId, week);
      if (!row) throw notFound('Aucune leçon publiée pour cette semaine.');
      void reply.headers(revalidationHeaders(row.etag));
      // A 304 on the current ETag or the current manifest: this pupil's device holds (or is installing) this version.
      const report = request.headers[DEVICE_REPORT_HEADER];
      noteHolding(
        ctx,
        currentUser(request),
        classId,
        week,
        row.version,
        typeof report === 'string' ? report : undefined,
      );
      // No payload at all (not null): Fastify then skips serialising, the cheapest answer of the API.
      if (etagMatches(request.headers['if-none-match'], row.etag))
        return reply.status(304).send(undefined as unknown as null);
      let { signature, key_id: keyId } = row;
      if (!signature || !keyId) {
        const key = await currentSigningKey(ctx.db, ctx.now().toISOString());
        signature = signText(key, row.manifest);
        keyId = key.keyId;
        await setWeekSignature(ctx.db, row, signature, keyId);
        ctx.hot?.weekHeads.delete(weekKey(classId, week));
      }
      void reply.header(MANIFEST_SIGNATURE_HEADER, signature).header(MANIFEST_KEY_HEADER, keyId);
      // The stored bytes, sent as they are (Fastify does not re-serialize a string): the ETag covers these exact
      // bytes. The cast only tells the type provider that the text is this schema's JSON.
      return reply.type('application/json; charset=utf-8').send(row.manifest as unknown as WeekManifest);
    },
  );
};
