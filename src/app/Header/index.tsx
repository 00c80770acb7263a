/** The banner: the app's name, the main navigation, the language switch and sign-out. */
import type { JSX } from 'preact';
import { useI18n } from '../i18n/index.ts';
import { Link } from '../router.tsx';

export function Header(props: { userName: string | undefined; onSignOut: () => void }): JSX.Element {
  const { t, locale, setLocale } = useI18n();
  const other = locale === 'fr' ? 'en' : 'fr';
  return (
    <header class="banner">
      <a class="skip" href="#contenu">
        {t('app.skip')}
      </a>
      <Link href="/" class="brand">
        {t('app.name')}
      </Link>
      <nav aria-label={t('nav.main')}>{props.userName && <Link href="/">{t('nav.week')}</Link>}</nav>
      <div class="tools">
        {props.userName && <span class="who">{props.userName}</span>}
        <button type="button" lang={other} aria-label={t('lang.switchLabel')} onClick={() => setLocale(other)}>
          {t('lang.switchTo')}
        </button>
        {props.userName && (
          <button type="button" onClick={props.onSignOut}>
            {t('nav.signOut')}
          </button>
        )}
      </div>
    </header>
  );
}
