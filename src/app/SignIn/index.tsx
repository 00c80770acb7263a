/**
 * The sign-in form: username and secret code (from the pupil's card). On a shared device it also asks for a PIN,
 * which reopens the pupil's profile later without the card. On success the account's profile is created or reopened
 * (storage/profiles.ts) and the server's keys are kept for offline checks and sealing.
 */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { meUrl, signInUrl } from '../../protocol/paths.ts';
import type { MeReply, SignInReply } from '../../protocol/schemas.ts';
import type { ProfileRecord } from '../../storage/db.ts';
import { PIN_PATTERN } from '../../storage/profiles.ts';
import { formText } from '../form.ts';
import { type MessageKey, useI18n } from '../i18n/index.ts';
import type { Services } from '../services.ts';
import { useFocusOnMount } from '../use-focus.ts';

type Failure = { key: MessageKey; status?: number };

const decode = (body: Uint8Array): unknown => JSON.parse(new TextDecoder().decode(body));

/** Keeps the server's signing keys (weeks checked offline) and its sealing key (homework sealed on the device). */
async function keepServerKeys(services: Services): Promise<void> {
  // With the week's installer (its own chunk): signing in is the first moment they are needed.
  const { refreshKeys } = await import('../../sync/week-install.ts');
  const { sealing } = await refreshKeys({ keys: services.device.keys, transport: services.transport });
  if (sealing) await services.device.keepSealingKey(sealing);
}

async function signIn(
  services: Services,
  username: string,
  secret: string,
  pin: string | undefined,
): Promise<{ profile: ProfileRecord; key: CryptoKey } | Failure> {
  const json = { 'content-type': 'application/json' };
  const body = JSON.stringify({ username, secret });
  const res = await services.transport.send({ method: 'POST', path: signInUrl(), headers: json, body });
  if (res.status === 401 || res.status === 400) return { key: 'signIn.invalid' };
  if (res.status === 429) return { key: 'signIn.tooMany' };
  if (res.status !== 200) return { key: 'signIn.failed', status: res.status };
  const reply = decode(res.body) as SignInReply;
  const meRes = await services.transport.send({
    method: 'GET',
    path: meUrl(),
    headers: { authorization: `Bearer ${reply.token}` },
  });
  if (meRes.status !== 200) return { key: 'signIn.failed', status: meRes.status };
  const me = decode(meRes.body) as MeReply;
  await keepServerKeys(services);
  const { user: _user, ...tokens } = reply;
  return services.profiles.signedIn({ user: me.user, classes: me.classes }, secret, tokens, pin);
}

/** The username a card's QR code carries in the fragment (`#u=…`), to prefill the form. */
function cardUsername(): string {
  return new URLSearchParams(location.hash.slice(1)).get('u') ?? '';
}

export function SignIn(props: {
  services: Services;
  shared: boolean;
  onSignedIn: (opened: { profile: ProfileRecord; key: CryptoKey }) => void;
  /** Back to "Qui es-tu ?" (shared devices with profiles). */
  onBack?: (() => void) | undefined;
}): JSX.Element {
  const { t } = useI18n();
  const [pending, setPending] = useState(false);
  const [failure, setFailure] = useState<Failure | undefined>();
  const heading = useFocusOnMount<HTMLHeadingElement>();

  const onSubmit = (e: SubmitEvent) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    const field = (name: string) => formText(form, name);
    const pin = props.shared ? field('pin') : undefined;
    if (pin !== undefined && !PIN_PATTERN.test(pin)) {
      setFailure({ key: 'pin.invalidFormat' });
      return;
    }
    if (pin !== undefined && pin !== field('pin2')) {
      setFailure({ key: 'pin.mismatch' });
      return;
    }
    setPending(true);
    setFailure(undefined);
    const attempt = async () => {
      try {
        const result = await signIn(props.services, field('username').trim(), field('secret'), pin);
        if ('key' in result && !('profile' in result)) setFailure(result);
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
        <input
          id="username"
          name="username"
          autoComplete="username"
          autoCapitalize="none"
          required
          defaultValue={cardUsername()}
        />
        <label for="secret">{t('signIn.secret')}</label>
        <input id="secret" name="secret" type="password" autoComplete="current-password" required />
        {props.shared && (
          <fieldset>
            <legend>{t('pin.choose')}</legend>
            <p class="hint">{t('pin.chooseHint')}</p>
            <label for="pin">{t('pin.label')}</label>
            <input id="pin" name="pin" type="password" inputMode="numeric" autoComplete="off" required />
            <label for="pin2">{t('pin.confirm')}</label>
            <input id="pin2" name="pin2" type="password" inputMode="numeric" autoComplete="off" required />
          </fieldset>
        )}
        {failure && (
          <p role="alert" class="error">
            {t(failure.key, { status: failure.status ?? '' })}
          </p>
        )}
        <button type="submit" class="primary" disabled={pending}>
          {pending ? t('signIn.pending') : t('signIn.submit')}
        </button>
        {props.onBack && (
          <button type="button" onClick={props.onBack}>
            {t('profiles.back')}
          </button>
        )}
      </form>
    </section>
  );
}
