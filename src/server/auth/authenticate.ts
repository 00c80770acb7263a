/** Bearer-token authentication as a pre-handler; tokens only ever travel in the Authorization header. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.ts';
import { findSession, type UserRow } from '../db/queries.ts';
import { unauthorized } from '../errors.ts';
import { tokenHash } from './secrets.ts';

/** The token of an "Authorization: Bearer <token>" header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = header?.match(/^Bearer ([A-Za-z0-9_-]{20,200})$/);
  return match?.[1];
}

/**
 * A pre-handler that rejects with 401 unless the request carries a live token; sets request.user. Callback style, so
 * a token in the hot cache (nearly every request) costs no promise.
 */
export function authenticate(ctx: AppContext) {
  const check = async (request: FastifyRequest, reply: FastifyReply, token: string | undefined) => {
    const user = token ? await storedSessionUser(ctx, token) : undefined;
    if (!user) {
      void reply.header('www-authenticate', 'Bearer');
      throw unauthorized();
    }
    request.user = user;
  };
  return (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void): void => {
    const token = bearerToken(request.headers.authorization);
    const cached = token ? ctx.hot?.sessions.get(token, ctx.now().getTime()) : undefined;
    if (cached) {
      request.user = cached;
      done();
      return;
    }
    // oxlint-disable-next-line promise/no-callback-in-promise -- Fastify's callback-style hook wants its callback
    check(request, reply, token).then(() => done(), done);
  };
}

/**
 * The user of a live session from the database, by the token's hash, then kept in the hot cache (keyed by the token
 * itself, held in this process's memory only, so a hit costs no hashing) until TTL or expiry.
 */
async function storedSessionUser(ctx: AppContext, token: string): Promise<UserRow | undefined> {
  const now = ctx.now();
  const found = await findSession(ctx.db, tokenHash(token), now.toISOString());
  if (!found) return undefined;
  if (ctx.hot)
    ctx.hot.sessions.set(token, found.user, Math.min(now.getTime() + ctx.hot.ttlMs, Date.parse(found.expiresAt)));
  return found.user;
}

/** The user set by `authenticate`; a route that forgot it fails loudly instead of serving anonymously. */
export function currentUser(request: FastifyRequest): UserRow {
  if (!request.user) throw unauthorized();
  return request.user;
}
