/**
 * The open profile of this page: who it is, and requests made with its access token. The access token lives minutes;
 * on a 401 (or when it is about to expire) it is renewed once with the refresh token, and the new pair is sealed
 * back into the profile. A refused refresh ends the session: the pupil signs in again, queued work keeps waiting.
 */
import { refreshUrl } from '../protocol/paths.ts';
import type { RefreshReply } from '../protocol/schemas.ts';
import type { ProfileRecord } from '../storage/db.ts';
import type { ProfileStore, ProfileTokens } from '../storage/profiles.ts';
import type { Transport, TransportRequest, TransportResponse } from '../sync/ports.ts';

export interface ActiveSession {
  user: ProfileRecord['user'];
  classes: ProfileRecord['classes'];
  /** Sends `request` with the access token, renewed once if the server refused it. */
  send(request: TransportRequest): Promise<TransportResponse>;
  /** The current access token (sign-out revokes its sign-in). */
  accessToken(): string;
}

/** Renew a little before expiry, so a request does not race the clock. */
const EARLY_MS = 30_000;

export function openSession(
  profile: ProfileRecord,
  initial: ProfileTokens,
  deps: { transport: Transport; profiles: ProfileStore; onEnded: () => void },
): ActiveSession {
  let tokens = initial;
  let renewing: Promise<boolean> | undefined;

  const renew = (): Promise<boolean> => {
    renewing ??= (async () => {
      try {
        const res = await deps.transport.send({
          method: 'POST',
          path: refreshUrl(),
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ refreshToken: tokens.refreshToken }),
        });
        if (res.status === 401 || res.status === 400) {
          await deps.profiles.saveTokens(profile.userId, undefined);
          deps.onEnded();
          return false;
        }
        if (res.status !== 200) return false;
        const reply = JSON.parse(new TextDecoder().decode(res.body)) as RefreshReply;
        tokens = { ...reply };
        await deps.profiles.saveTokens(profile.userId, tokens);
        return true;
      } finally {
        renewing = undefined;
      }
    })();
    return renewing;
  };

  const withToken = (request: TransportRequest): TransportRequest => ({
    ...request,
    headers: { ...request.headers, authorization: `Bearer ${tokens.token}` },
  });

  return {
    user: profile.user,
    classes: profile.classes,
    accessToken: () => tokens.token,
    async send(request) {
      if (Date.parse(tokens.expiresAt) - EARLY_MS < Date.now()) await renew().catch(() => false);
      const res = await deps.transport.send(withToken(request));
      if (res.status !== 401) return res;
      return (await renew()) ? deps.transport.send(withToken(request)) : res;
    },
  };
}
