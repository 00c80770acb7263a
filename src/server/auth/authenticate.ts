/** Bearer-token authentication as a pre-handler; tokens only ever travel in the Authorization header. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.ts';
import { findSession, type UserRow } from '../db/queries.ts';
import type { TokenKind } from '../db/schema.ts';
import { unauthorized } from '../errors.ts';
import { tokenHash } from './secrets.ts';

/** The token of an "Authorization: Bearer <token>" header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = header?.match(/^Bearer ([A-Za-z0-9_-]{20,200})$/);
  return match?.[1];
}

/** Tokens a route accepts: the access token by default; a device token only where a tablet works for an absent pupil. */
export const ACCESS_ONLY: readonly TokenKind[] = ['access'];
/** Sending homework and fetching the class's weeks, which a shared tablet does for pupils who have left. */
export const ACCESS_OR_DEVICE: readonly TokenKind[] = ['access', 'device'];

/** A live token as the hot cache keeps it. */
export interface CachedToken {
  user: UserRow;
  kind: TokenKind;
  /** When the fast path last noted what this token's device holds, per week (routes/weeks.ts noteRevalidation). */
  noted?: Map<string, number>;
}

/**
 * A pre-handler that rejects with 401 unless the request carries a live token of one of `kinds`; sets request.user.
 * Callback style, so a token in the hot cache (nearly every request) costs no promise. A refresh token is never a
 * bearer token.
 */
export function authenticate(ctx: AppContext, kinds: readonly TokenKind[] = ACCESS_ONLY) {
  const accept = (request: FastifyRequest, reply: FastifyReply, found: CachedToken | undefined): void => {
    if (!found || !kinds.includes(found.kind)) {
      void reply.header('www-authenticate', 'Bearer');
      throw unauthorized();
    }
    request.user = found.user;
  };
  return (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void): void => {
    const token = bearerToken(request.headers.authorization);
    const cached = token ? ctx.hot?.sessions.get(token, ctx.now().getTime()) : undefined;
    if (cached) {
      try {
        accept(request, reply, cached);
      } catch (err) {
        done(err as Error);
        return;
      }
      done();
      return;
    }
    const check = async () => accept(request, reply, token ? await storedToken(ctx, token) : undefined);
    // oxlint-disable-next-line promise/no-callback-in-promise -- Fastify's callback-style hook wants its callback
    check().then(() => done(), done);
  };
}

/** The live token `token` (hot cache first), or undefined: for checks made before a route's own authentication. */
export async function liveToken(ctx: AppContext, token: string): Promise<CachedToken | undefined> {
  return ctx.hot?.sessions.get(token, ctx.now().getTime()) ?? storedToken(ctx, token);
}

/**
 * A live token from the database, by its hash, then kept in the hot cache (keyed by the token itself, held in this
 * process's memory only, so a hit costs no hashing) until TTL or expiry.
 */
async function storedToken(ctx: AppContext, token: string): Promise<CachedToken | undefined> {
  const now = ctx.now();
  const found = await findSession(ctx.db, tokenHash(token), now.toISOString());
  if (!found) return undefined;
  const entry = { user: found.user, kind: found.kind };
  if (ctx.hot) ctx.hot.sessions.set(token, entry, Math.min(now.getTime() + ctx.hot.ttlMs, Date.parse(found.expiresAt)));
  return entry;
}

/** The user set by `authenticate`; a route that forgot it fails loudly instead of serving anonymously. */
export function currentUser(request: FastifyRequest): UserRow {
  if (!request.user) throw unauthorized();
  return request.user;
}
