/** Sign-in and sign-out with bearer tokens. */
import { ErrorBody, SignInBody, SignInReply } from '../../protocol/schemas.ts';
import { bearerToken } from '../auth/authenticate.ts';
import { newToken, tokenHash, verifySecret } from '../auth/secrets.ts';
import type { RoutePlugin } from '../context.ts';
import { findUserByUsername, insertSession, revokeSession } from '../db/queries.ts';
import { HttpError } from '../errors.ts';

/** How long a token lives: a school term's weekend plus holidays, so an offline tablet is not locked out. */
export const TOKEN_TTL_MS = 30 * 24 * 3600 * 1000;

/** Sign-in attempts one address may make in a minute (a classroom behind one NAT signs in together: be generous). */
export const SIGN_IN_PER_ADDRESS = { limit: 60, windowMs: 60_000 };
/** Wrong secrets an account may take before it is locked for the window; nothing is erased. */
export const FAILED_SIGN_INS = { limit: 5, windowMs: 15 * 60_000 };

function tooMany(resetInMs: number): HttpError {
  const minutes = Math.max(1, Math.ceil(resetInMs / 60_000));
  const err = new HttpError(
    429,
    'too_many_attempts',
    `Trop d’essais : réessaie dans ${minutes} minute${minutes > 1 ? 's' : ''}.`,
  );
  err.retryAfterSeconds = Math.max(1, Math.ceil(resetInMs / 1000));
  return err;
}

/** Checked when no such user exists, so an unknown name costs as long as a wrong secret. */
const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

export const authRoutes: RoutePlugin = async (app, { ctx }) => {
  app.post(
    '/auth/sign-in',
    {
      schema: {
        summary: 'Sign in with a username and secret; answers a bearer token',
        body: SignInBody,
        response: { 200: SignInReply, 400: ErrorBody, 401: ErrorBody, 429: ErrorBody },
      },
    },
    async (request) => {
      const { username, secret } = request.body;
      const name = username.trim().toLowerCase();
      const perAddress = await ctx.limiter.hit(`sign-in:address:${request.ip}`, SIGN_IN_PER_ADDRESS.windowMs);
      if (perAddress.count > SIGN_IN_PER_ADDRESS.limit) throw tooMany(perAddress.resetInMs);
      const failures = await ctx.limiter.peek(`sign-in:failures:${name}`);
      if (failures.count >= FAILED_SIGN_INS.limit) throw tooMany(failures.resetInMs);
      const user = await findUserByUsername(ctx.db, name);
      const ok = await verifySecret(secret, user?.secret_hash ?? DUMMY_HASH);
      if (!user || !ok) {
        await ctx.limiter.hit(`sign-in:failures:${name}`, FAILED_SIGN_INS.windowMs);
        throw new HttpError(401, 'invalid_credentials', 'Identifiant ou code secret incorrect.');
      }
      await ctx.limiter.reset(`sign-in:failures:${name}`);
      const token = newToken();
      const now = ctx.now();
      const expiresAt = new Date(now.getTime() + TOKEN_TTL_MS).toISOString();
      await insertSession(ctx.db, {
        tokenHash: tokenHash(token),
        userId: user.id,
        createdAt: now.toISOString(),
        expiresAt,
      });
      return { token, expiresAt, user: { id: user.id, displayName: user.display_name, role: user.role } };
    },
  );

  app.post(
    '/auth/sign-out',
    { schema: { summary: 'Revoke the bearer token of this request', response: { 204: { type: 'null' } } } },
    async (request, reply) => {
      const token = bearerToken(request.headers.authorization);
      if (token) {
        await revokeSession(ctx.db, tokenHash(token), ctx.now().toISOString());
        ctx.hot?.sessions.delete(token);
      }
      return reply.status(204).send(null);
    },
  );
};
