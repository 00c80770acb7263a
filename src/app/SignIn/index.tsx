/** The sign-in form: username and secret code; the token and the pupil's classes are kept on the device. */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import type { MeReply, SignInReply } from '../../protocol/schemas.ts';
import type { SessionRecord } from '../../storage/db.ts';
import { type MessageKey, useI18n } from '../i18n/index.ts';
import type { Services } from '../services.ts';
import { useFocusOnMount } from '../use-focus.ts';

type Failure = { key: MessageKey; status?: number };

async function signIn(
  services: Services,
  username: string,
  secret: string,
): Promise<Omit<SessionRecord, 'id'> | Failure> {
  const json = { 'content-type': 'application/json' };
  const body = JSON.stringify({ username, secret });
  const res = await services.transport.send({ method: 'POST', path: '/api/auth/sign-in', headers: json, body });
  if (res.status === 401 || res.status === 400) return { key: 'signIn.invalid' };
  if (res.status !== 200) return { key: 'signIn.failed', status: res.status };
  const reply = JSON.parse(new TextDecoder().decode(res.body)) as SignInReply;
  const meRes = await services.transport.send({
    method: 'GET',
    path: '/api/me',
    headers: { authorization: `Bearer ${reply.token}` },
  });
  if (meRes.status !== 200) return { key: 'signIn.failed', status: meRes.status };
  const me = JSON.parse(new TextDecoder().decode(meRes.body)) as MeReply;
  return { token: reply.token, expiresAt: reply.expiresAt, user: me.user, classes: me.classes };
}

export function SignIn(props: { services: Services; onSignedIn: (s: Omit<SessionRecord, 'id'>) => void }): JSX.Element {
  const { t } = useI18n();
  const [pending, setPending] = useState(false);
  const [failure, setFailure] = useState<Failure | undefined>();
  const heading = useFocusOnMount<HTMLHeadingElement>();

  const onSubmit = (e: SubmitEvent) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    const field = (name: string) => {
      const value = form.get(name);
      return typeof value === 'string' ? value : '';
    };
    setPending(true);
    setFailure(undefined);
    const attempt = async () => {
      try {
        const result = await signIn(props.services, field('username').trim(), field('secret'));
        if ('key' in result) setFailure(result);
        else props.onSignedIn(result);
      } catch {
        setFailure({ key: 'signIn.offline' });
      } finally {
        setPending(false);
      }
    };
    void attempt();
  };

  return (
    <section class="card narrow" aria-labelledby="signin-title">
      <h1 id="signin-title" tabIndex={-1} ref={heading}>
        {t('signIn.title')}
      </h1>
      <p>{t('signIn.intro')}</p>
      <form onSubmit={onSubmit} noValidate>
        <label for="username">{t('signIn.username')}</label>
        <input id="username" name="username" autoComplete="username" autoCapitalize="none" required />
        <label for="secret">{t('signIn.secret')}</label>
        <input id="secret" name="secret" type="password" autoComplete="current-password" required />
        {failure && (
          <p role="alert" class="error">
            {t(failure.key, { status: failure.status ?? '' })}
          </p>
        )}
        <button type="submit" class="primary" disabled={pending}>
          {pending ? t('signIn.pending') : t('signIn.submit')}
        </button>
      </form>
    </section>
  );
}
