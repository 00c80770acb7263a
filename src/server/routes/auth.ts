/** Sign-in and sign-out with bearer tokens. */
import { randomUUID } from 'node:crypto';
import { ErrorBody, RefreshBody, RefreshReply, SignInBody, SignInReply } from '../../protocol/schemas.ts';
import { bearerToken } from '../auth/authenticate.ts';
import { newToken, tokenHash, verifySecret } from '../auth/secrets.ts';
import type { AppContext, RoutePlugin } from '../context.ts';
import { findToken, findUserByUsername, insertSession, revokeFamily, revokeIfLive } from '../db/queries.ts';
import type { TokenKind } from '../db/schema.ts';
import { HttpError } from '../errors.ts';
import { OneAtATime } from '../one-at-a-time.ts';
import { OVERLOADED } from '../admission.ts';

/** An access token lives minutes: stolen, it is soon worthless; the app renews it with its refresh token. */
export const ACCESS_TTL_MS = 15 * 60 * 1000;
/** Refresh and device tokens outlive a school holiday, so an offline tablet is not locked out. */
export const TOKEN_TTL_MS = 30 * 24 * 3600 * 1000;

async function issue(ctx: AppContext, userId: string, kind: TokenKind, family: string | null, ttlMs: number) {
  const token = newToken();
  const now = ctx.now();
  const expiresAt = new Date(now.getTime() + ttlMs).toISOString();
  await insertSession(ctx.db, {
    tokenHash: tokenHash(token),
    userId,
    createdAt: now.toISOString(),
    expiresAt,
    kind,
    family,
  });
  return { token, expiresAt };
}

const refused = () => new HttpError(401, 'invalid_refresh_token', 'Session terminée : reconnecte-toi.');

/** Sign-in attempts one address may make in a minute (a classroom behind one NAT signs in together: be generous). */
export const SIGN_IN_PER_ADDRESS = { limit: 60, windowMs: 60_000 };
/** Sign-in attempts an account may take without a right secret before it is locked for the window; nothing is erased. */
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

/** Attempts for one account that may wait behind the one being checked, on one instance. */
const WAITING_PER_ACCOUNT = 8;

export const authRoutes: RoutePlugin = async (app, { ctx }) => {
  const oneAccountAtATime = new OneAtATime(WAITING_PER_ACCOUNT);
  app.post(
    '/auth/sign-in',
    {
      schema: {
        summary: 'Sign in with a username and secret; answers a bearer token',
        body: SignInBody,
        response: { 200: SignInReply, 400: ErrorBody, 401: ErrorBody, 429: ErrorBody, 503: ErrorBody },
      },
    },
    async (request, reply) => {
      const { username, secret } = request.body;
      const name = username.trim().toLowerCase();
      const perAddress = await ctx.limiter.hit(`sign-in:address:${request.ip}`, SIGN_IN_PER_ADDRESS.windowMs);
      if (perAddress.count > SIGN_IN_PER_ADDRESS.limit) throw tooMany(perAddress.resetInMs);
      // One account's attempts are checked one at a time on this instance, and each is counted (one atomic increment,
      // in Redis across instances) before its secret is: N guesses sent at once, here or on several instances, get at
      // most FAILED_SIGN_INS.limit checks. (Reading the count first and adding a failure after the slow hash let 30
      // concurrent guesses all be checked.)
      const user = await oneAccountAtATime.run(name, async () => {
        const attempts = await ctx.limiter.hit(`sign-in:failures:${name}`, FAILED_SIGN_INS.windowMs);
        if (attempts.count > FAILED_SIGN_INS.limit) throw tooMany(attempts.resetInMs);
        const found = await findUserByUsername(ctx.db, name);
        // The slow hash is the one costly step an anonymous client can ask for: it draws on its own budget.
        if (ctx.secretChecks && !ctx.secretChecks.mayCheck(reply)) return 'overloaded' as const;
        const ok = await verifySecret(secret, found?.secret_hash ?? DUMMY_HASH);
        if (!found || !ok) {
          ctx.secretChecks?.wrong();
          throw new HttpError(401, 'invalid_credentials', 'Identifiant ou code secret incorrect.');
        }
        // A right secret forgets the failures before it (its own attempt included).
        await ctx.limiter.reset(`sign-in:failures:${name}`);
        return found;
      });
      if (user === 'busy') throw tooMany(1000);
      if (user === 'overloaded') return reply.send(OVERLOADED);
      const family = randomUUID();
      const access = await issue(ctx, user.id, 'access', family, ACCESS_TTL_MS);
      const refresh = await issue(ctx, user.id, 'refresh', family, TOKEN_TTL_MS);
      // The device token is its own family: signing out ends the session, not the sending of work already queued.
      const device = await issue(ctx, user.id, 'device', null, TOKEN_TTL_MS);
      return {
        token: access.token,
        expiresAt: access.expiresAt,
        refreshToken: refresh.token,
        refreshExpiresAt: refresh.expiresAt,
        deviceToken: device.token,
        deviceExpiresAt: device.expiresAt,
        user: { id: user.id, displayName: user.display_name, role: user.role },
      };
    },
  );

  app.post(
    '/auth/refresh',
    {
      schema: {
        summary: 'Trade a refresh token (single use) for a new access token and a new refresh token',
        body: RefreshBody,
        response: { 200: RefreshReply, 400: ErrorBody, 401: ErrorBody },
      },
    },
    async (request) => {
      const hash = tokenHash(request.body.refreshToken);
      const row = await findToken(ctx.db, hash);
      const nowIso = ctx.now().toISOString();
      if (!row || row.kind !== 'refresh' || !row.family) throw refused();
      // A refresh token used twice was copied: whoever holds the family loses it, the pupil signs in again.
      if (row.revoked_at !== null || row.expires_at <= nowIso || !(await revokeIfLive(ctx.db, hash, nowIso))) {
        await revokeFamily(ctx.db, row.family, nowIso);
        ctx.hot?.sessions.clear();
        throw refused();
      }
      const access = await issue(ctx, row.user_id, 'access', row.family, ACCESS_TTL_MS);
      const refresh = await issue(ctx, row.user_id, 'refresh', row.family, TOKEN_TTL_MS);
      return {
        token: access.token,
        expiresAt: access.expiresAt,
        refreshToken: refresh.token,
        refreshExpiresAt: refresh.expiresAt,
      };
    },
  );

  app.post(
    '/auth/sign-out',
    {
      schema: {
        summary: 'Revoke the bearer token of this request and, for an access token, its whole sign-in (refresh too)',
        response: { 204: { type: 'null' } },
      },
    },
    async (request, reply) => {
      const token = bearerToken(request.headers.authorization);
      if (token) {
        const nowIso = ctx.now().toISOString();
        const row = await findToken(ctx.db, tokenHash(token));
        if (row?.family && row.kind === 'access') await revokeFamily(ctx.db, row.family, nowIso);
        else await revokeIfLive(ctx.db, tokenHash(token), nowIso);
        // This instance forgets it at once; the others within the hot cache's TTL.
        ctx.hot?.sessions.delete(token);
      }
      return reply.status(204).send(null);
    },
  );
};
