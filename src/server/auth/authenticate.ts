/** Bearer-token authentication as a pre-handler; tokens only ever travel in the Authorization header. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.ts';
import { findSessionUser, type UserRow } from '../db/queries.ts';
import { unauthorized } from '../errors.ts';
import { tokenHash } from './secrets.ts';

/** The token of an "Authorization: Bearer <token>" header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = header?.match(/^Bearer ([A-Za-z0-9_-]{20,200})$/);
  return match?.[1];
}

/** A pre-handler that rejects with 401 unless the request carries a live token; sets request.user. */
export function authenticate(ctx: AppContext) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const token = bearerToken(request.headers.authorization);
    const user = token ? await findSessionUser(ctx.db, tokenHash(token), ctx.now().toISOString()) : undefined;
    if (!user) {
      void reply.header('www-authenticate', 'Bearer');
      throw unauthorized();
    }
    request.user = user;
  };
}

/** The user set by `authenticate`; a route that forgot it fails loudly instead of serving anonymously. */
export function currentUser(request: FastifyRequest): UserRow {
  if (!request.user) throw unauthorized();
  return request.user;
}
