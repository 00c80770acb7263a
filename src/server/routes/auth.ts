/** Sign-in and sign-out with bearer tokens. */
import { ErrorBody, SignInBody, SignInReply } from '../../protocol/schemas.ts';
import { bearerToken } from '../auth/authenticate.ts';
import { newToken, tokenHash, verifySecret } from '../auth/secrets.ts';
import type { RoutePlugin } from '../context.ts';
import { findUserByUsername, insertSession, revokeSession } from '../db/queries.ts';
import { HttpError } from '../errors.ts';

/** How long a token lives: a school term's weekend plus holidays, so an offline tablet is not locked out. */
export const TOKEN_TTL_MS = 30 * 24 * 3600 * 1000;

/** Checked when no such user exists, so an unknown name costs as long as a wrong secret. */
const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

export const authRoutes: RoutePlugin = async (app, { ctx }) => {
  app.post(
    '/auth/sign-in',
    {
      schema: {
        summary: 'Sign in with a username and secret; answers a bearer token',
        body: SignInBody,
        response: { 200: SignInReply, 400: ErrorBody, 401: ErrorBody },
      },
    },
    async (request) => {
      const { username, secret } = request.body;
      const user = await findUserByUsername(ctx.db, username.trim().toLowerCase());
      const ok = await verifySecret(secret, user?.secret_hash ?? DUMMY_HASH);
      if (!user || !ok) throw new HttpError(401, 'invalid_credentials', 'Identifiant ou code secret incorrect.');
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
      if (token) await revokeSession(ctx.db, tokenHash(token), ctx.now().toISOString());
      return reply.status(204).send(null);
    },
  );
};
