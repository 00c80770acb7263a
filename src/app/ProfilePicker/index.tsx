/**
 * "Qui es-tu ?": the profiles of a shared device, each reopened with its PIN. Nothing of any pupil is shown here but
 * their name. Five wrong PINs lock a profile for a few minutes (nothing is erased); the card always works.
 */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { ProfileRecord } from '../../storage/db.ts';
import { formText } from '../form.ts';
import { useI18n } from '../i18n/index.ts';
import type { Services } from '../services.ts';
import { useFocusOnMount } from '../use-focus.ts';

type Notice = { kind: 'wrong'; left: number } | { kind: 'locked'; until: number } | { kind: 'busy' };

function PinForm(props: {
  services: Services;
  profile: ProfileRecord;
  onOpened: (opened: { profile: ProfileRecord; key: CryptoKey }) => void;
  onCancel: () => void;
}): JSX.Element {
  const { t, locale } = useI18n();
  const [notice, setNotice] = useState<Notice | undefined>(
    props.profile.lockedUntil > Date.now() ? { kind: 'locked', until: props.profile.lockedUntil } : undefined,
  );
  const heading = useFocusOnMount<HTMLHeadingElement>();
  const onSubmit = (e: SubmitEvent) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const pin = formText(new FormData(form), 'pin');
    setNotice({ kind: 'busy' });
    const attempt = async () => {
      const result = await props.services.profiles.unlock(props.profile.userId, pin);
      form.reset();
      if (result.ok) props.onOpened(result);
      else if (result.reason === 'locked') setNotice({ kind: 'locked', until: result.until });
      else setNotice({ kind: 'wrong', left: result.attemptsLeft });
    };
    attempt().catch(() => setNotice({ kind: 'wrong', left: 0 }));
  };
  const time = (ms: number) => new Intl.DateTimeFormat(locale, { hour: 'numeric', minute: '2-digit' }).format(ms);
  return (
    <section class="card narrow" aria-labelledby="pin-title">
      <h1 id="pin-title" tabIndex={-1} ref={heading}>
        {t('pin.title', { name: props.profile.user.displayName })}
      </h1>
      <form onSubmit={onSubmit} noValidate>
        <label for="pin">{t('pin.label')}</label>
        <input id="pin" name="pin" type="password" inputMode="numeric" autoComplete="off" required />
        {notice?.kind === 'wrong' && (
          <p role="alert" class="error">
            {t('pin.wrong', { count: notice.left })}
          </p>
        )}
        {notice?.kind === 'locked' && (
          <p role="alert" class="error">
            {t('pin.locked', { time: time(notice.until) })}
          </p>
        )}
        <button type="submit" class="primary" disabled={notice?.kind === 'busy'}>
          {t('pin.open')}
        </button>
        <button type="button" onClick={props.onCancel}>
          {t('profiles.back')}
        </button>
      </form>
    </section>
  );
}

export function ProfilePicker(props: {
  services: Services;
  onOpened: (opened: { profile: ProfileRecord; key: CryptoKey }) => void;
  onNewPupil: () => void;
}): JSX.Element {
  const { t } = useI18n();
  const [profiles, setProfiles] = useState<ProfileRecord[] | undefined>();
  const [chosen, setChosen] = useState<ProfileRecord | undefined>();
  const heading = useFocusOnMount<HTMLHeadingElement>();
  useEffect(() => {
    props.services.profiles
      .list()
      .then((all) => setProfiles(all.filter((p) => p.session && p.privateKey.kind === 'wrapped')))
      .catch(() => setProfiles([]));
  }, [props.services]);
  if (chosen)
    return (
      <PinForm
        services={props.services}
        profile={chosen}
        onOpened={props.onOpened}
        onCancel={() => setChosen(undefined)}
      />
    );
  return (
    <section class="card narrow" aria-labelledby="picker-title">
      <h1 id="picker-title" tabIndex={-1} ref={heading}>
        {t('profiles.title')}
      </h1>
      {profiles === undefined ? (
        <p aria-busy="true">{t('app.loading')}</p>
      ) : (
        <ul class="profiles">
          {profiles.map((p) => (
            <li key={p.userId}>
              <button type="button" onClick={() => setChosen(p)}>
                {p.user.displayName}
              </button>
            </li>
          ))}
        </ul>
      )}
      <button type="button" class="primary" onClick={props.onNewPupil}>
        {t('profiles.new')}
      </button>
    </section>
  );
}
