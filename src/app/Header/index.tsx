/** The banner: the app's name, the main navigation, the language switch, switching pupil and sign-out. */
import type { JSX } from 'preact';
import type { ActiveSession } from '../session.ts';
import { useI18n } from '../i18n/index.ts';
import { Link, OUTBOX_PATH, PUBLISH_PATH, READINESS_PATH, SCHOOL_PATH } from '../router.tsx';
import { useOutboxView } from '../outbox-context.tsx';
import { refused, waiting } from '../use-outbox.ts';

/** "Mes envois", with how many of the pupil's homework are still waiting to leave, and how many were refused. */
function OutboxLink(): JSX.Element {
  const { t } = useI18n();
  const { items } = useOutboxView();
  const count = waiting(items).length;
  const toFix = refused(items).length;
  return (
    <Link href={OUTBOX_PATH}>
      {t('nav.outbox')}
      {count > 0 && (
        <span class="badge" title={t('outbox.count', { count })}>
          {' '}
          ({count})
        </span>
      )}
      {toFix > 0 && (
        <span class="badge refused" title={t('outbox.refusedCount', { count: toFix })}>
          {' '}
          {t('outbox.refusedBadge', { count: toFix })}
        </span>
      )}
    </Link>
  );
}

export function Header(props: {
  session: ActiveSession | undefined;
  onSignOut: () => void;
  /** On a shared device: hides this pupil's work at once and shows "Qui es-tu ?" (their session stays). */
  onSwitch?: (() => void) | undefined;
}): JSX.Element {
  const { t, locale, setLocale } = useI18n();
  const other = locale === 'fr' ? 'en' : 'fr';
  const { session } = props;
  return (
    <header class="banner">
      <a class="skip" href="#contenu">
        {t('app.skip')}
      </a>
      <Link href="/" class="brand">
        {t('app.name')}
      </Link>
      <nav aria-label={t('nav.main')}>
        {session && <Link href="/">{t('nav.week')}</Link>}
        {session && <OutboxLink />}
        {session && session.user.role !== 'pupil' && <Link href={PUBLISH_PATH}>{t('nav.publish')}</Link>}
        {session && session.user.role !== 'pupil' && <Link href={READINESS_PATH}>{t('nav.readiness')}</Link>}
        {session?.user.role === 'admin' && <Link href={SCHOOL_PATH}>{t('nav.school')}</Link>}
      </nav>
      <div class="tools">
        {session && <span class="who">{session.user.displayName}</span>}
        <button type="button" lang={other} aria-label={t('lang.switchLabel')} onClick={() => setLocale(other)}>
          {t('lang.switchTo')}
        </button>
        {session && props.onSwitch && (
          <button type="button" onClick={props.onSwitch}>
            {t('nav.switch')}
          </button>
        )}
        {session && (
          <button type="button" onClick={props.onSignOut}>
            {t('nav.signOut')}
          </button>
        )}
      </div>
    </header>
  );
}
