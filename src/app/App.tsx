/** The app shell: language, the device's session, the current route, and the update prompt. */
import type { JSX } from 'preact';
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { isoWeekAt } from '../protocol/iso-week.ts';
import type { SessionRecord } from '../storage/db.ts';
import { IdbKeyStore } from '../storage/idb-stores.ts';
import { PREFETCH_SYNC_TAG } from '../storage/prefetch-wiring.ts';
import { refreshKeys } from '../sync/week-install.ts';
import { registerServiceWorker, requestPeriodicPrefetch } from '../sw-bridge/register.ts';
import { Header } from './Header/index.tsx';
import { detectLocale, I18nContext, type Locale, LOCALE_STORAGE_KEY, translator, useI18n } from './i18n/index.ts';
import { AssignmentView } from './AssignmentView/index.tsx';
import { LessonView } from './LessonView/index.tsx';
import { OutboxProvider } from './outbox-context.tsx';
import { startOutboxTriggers } from './outbox-triggers.ts';
import { OutboxView } from './OutboxView/index.tsx';
import { PublishView } from './PublishView/index.tsx';
import { navigate, useRoute } from './router.tsx';
import { openServices, type Services } from './services.ts';
import { SignIn } from './SignIn/index.tsx';
import { SubmissionsView } from './SubmissionsView/index.tsx';
import { UpdatePrompt } from './UpdatePrompt/index.tsx';
import { useWeek } from './use-week.ts';
import { WeekView } from './WeekView/index.tsx';

function readStoredLocale(): string | null {
  try {
    return localStorage.getItem(LOCALE_STORAGE_KEY);
  } catch {
    return null;
  }
}

function useLocaleState() {
  const [locale, setLocaleState] = useState<Locale>(() => detectLocale(readStoredLocale(), navigator.languages));
  useEffect(() => {
    document.documentElement.lang = locale;
  }, [locale]);
  const setLocale = useCallback((next: Locale) => {
    setLocaleState(next);
    try {
      localStorage.setItem(LOCALE_STORAGE_KEY, next);
    } catch {
      // Private mode may refuse storage: the choice then lasts for this visit only.
    }
  }, []);
  return useMemo(() => ({ locale, t: translator(locale), setLocale }), [locale, setLocale]);
}

function SignedIn(props: { services: Services; session: SessionRecord }): JSX.Element {
  const { t } = useI18n();
  const route = useRoute();
  const klass = props.session.classes[0];
  const week = klass ? isoWeekAt(Date.now(), klass.timeZone) : '';
  const state = useWeek(props.services, props.session, klass?.id ?? '', week);
  useEffect(() => startOutboxTriggers(props.services), [props.services]);
  useEffect(() => {
    if (import.meta.env.PROD) requestPeriodicPrefetch(PREFETCH_SYNC_TAG).catch(() => undefined);
  }, []);
  if (!klass) return <p>{t('week.noClass')}</p>;
  if (route.name === 'lesson') {
    return <LessonView services={props.services} classId={klass.id} week={route.week} lessonId={route.lessonId} />;
  }
  if (route.name === 'assignment' || route.name === 'submissions') {
    const screen = { ...props, klass, week: route.week, assignmentId: route.assignmentId };
    return route.name === 'assignment' ? <AssignmentView {...screen} /> : <SubmissionsView {...screen} />;
  }
  if (route.name === 'outbox') return <OutboxView services={props.services} klass={klass} />;
  if (route.name === 'publish' && props.session.user.role !== 'pupil')
    return <PublishView services={props.services} session={props.session} klass={klass} />;
  if (!state.loaded) return <p aria-busy="true">{t('app.loading')}</p>;
  return <WeekView services={props.services} session={props.session} klass={klass} week={week} state={state} />;
}

export function App(): JSX.Element {
  const i18n = useLocaleState();
  const [services, setServices] = useState<Services | 'failed' | undefined>();
  const [session, setSession] = useState<SessionRecord | null | undefined>();
  const [applyUpdate, setApplyUpdate] = useState<(() => void) | undefined>();

  // The outbox (this tab, another tab, the worker) may learn that the server refused the token: re-read the session.
  useEffect(() => {
    if (!services || services === 'failed') return () => undefined;
    const reread = () =>
      void services.session.get().then((s) => setSession((current) => (current ? (s ?? null) : current)));
    services.events.addEventListener('auth-rejected', reread);
    return () => services.events.removeEventListener('auth-rejected', reread);
  }, [services]);

  useEffect(() => {
    const boot = async () => {
      try {
        const s = await openServices();
        setServices(s);
        setSession((await s.session.get()) ?? null);
      } catch {
        setServices('failed');
      }
    };
    void boot();
    if (import.meta.env.PROD) {
      registerServiceWorker((apply) => setApplyUpdate(() => apply)).catch((err: unknown) =>
        console.warn('service worker', err),
      );
    }
  }, []);

  const onSignedIn = (s: Omit<SessionRecord, 'id'>) => {
    if (!services || services === 'failed') return;
    // The server's public keys, kept from the sign-in (online by definition): weeks imported from a file later, with
    // no network, are checked against them.
    refreshKeys({ keys: new IdbKeyStore(services.db), transport: services.transport }).catch(() => undefined);
    services.session
      .put(s)
      .then(() => setSession({ ...s, id: 'current' }))
      .catch(() => setSession({ ...s, id: 'current' }));
  };

  const onSignOut = () => {
    if (!services || services === 'failed' || !session) return;
    const token = session.token;
    setSession(null);
    navigate('/');
    services.session.clear().catch((err: unknown) => console.warn('sign-out', err));
    services.transport
      .send({ method: 'POST', path: '/api/auth/sign-out', headers: { authorization: `Bearer ${token}` } })
      .catch(() => undefined); // Offline: the token expires by itself.
  };

  let content: JSX.Element;
  if (services === 'failed') content = <p role="alert">{i18n.t('app.storageError')}</p>;
  else if (!services || session === undefined) content = <p aria-busy="true">{i18n.t('app.loading')}</p>;
  else if (session === null) content = <SignIn services={services} onSignedIn={onSignedIn} />;
  else content = <SignedIn services={services} session={session} />;

  const page = (
    <>
      <Header session={session ?? undefined} onSignOut={onSignOut} />
      {applyUpdate && <UpdatePrompt onApply={applyUpdate} onDismiss={() => setApplyUpdate(undefined)} />}
      <main id="contenu" tabIndex={-1}>
        {content}
      </main>
    </>
  );
  const signedIn = services && services !== 'failed' && session ? { services, owner: session.user.id } : undefined;
  return (
    <I18nContext.Provider value={i18n}>
      {signedIn ? (
        <OutboxProvider services={signedIn.services} owner={signedIn.owner}>
          {page}
        </OutboxProvider>
      ) : (
        page
      )}
    </I18nContext.Provider>
  );
}
