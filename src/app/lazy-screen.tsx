/**
 * Screens loaded when first opened, not with the first screen: a pupil's phone downloads and parses the week, the
 * sign-in and the outbox first; the teacher's editor, the school admin's pages and the lesson and homework screens
 * come in their own chunks with their words (fr-screens.ts), precached by the service worker, so they open offline too.
 */
import type { ComponentType, JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { loadScreenMessages, useI18n } from './i18n/index.ts';

/** A screen component from its module, loaded once and kept. */
export function lazyScreen<P extends object>(load: () => Promise<ComponentType<P>>): (props: P) => JSX.Element {
  let loaded: ComponentType<P> | undefined;
  let loading: Promise<ComponentType<P>> | undefined;
  return function LazyScreen(props: P): JSX.Element {
    const { t, locale } = useI18n();
    const [screen, setScreen] = useState<ComponentType<P> | undefined>(() => loaded);
    const [failed, setFailed] = useState(false);
    useEffect(() => {
      let live = true;
      if (!screen) {
        loading ??= Promise.all([load(), loadScreenMessages(locale)]).then(([c]) => (loaded = c));
        loading
          .then((c) => live && setScreen(() => c))
          .catch(() => {
            loading = undefined;
            if (live) setFailed(true);
          });
      }
      return () => {
        live = false;
      };
    }, [screen]);
    if (failed) return <p role="alert">{t('app.screenFailed')}</p>;
    if (!screen) return <p aria-busy="true">{t('app.loading')}</p>;
    const Screen = screen;
    return <Screen {...props} />;
  };
}
