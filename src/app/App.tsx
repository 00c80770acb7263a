/** The app shell: language, the device's session, the current route, and the update prompt. */
import type { JSX } from 'preact';
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { isoWeekAt } from '../protocol/iso-week.ts';
import { signOutUrl } from '../protocol/paths.ts';
import type { DeviceConfig, ProfileRecord } from '../storage/db.ts';
import { PREFETCH_SYNC_TAG } from '../storage/channels.ts';
import { registerServiceWorker, requestPeriodicPrefetch } from '../sw-bridge/register.ts';
import { Header } from './Header/index.tsx';
import {
  detectLocale,
  hasCatalogue,
  I18nContext,
  type Locale,
  LOCALE_STORAGE_KEY,
  loadCatalogue,
  loadScreenMessages,
  translator,
  useI18n,
} from './i18n/index.ts';
import { FeedbackProvider } from './feedback-context.tsx';
import { OutboxProvider } from './outbox-context.tsx';
import { startOutboxTriggers } from './outbox-triggers.ts';
import { OutboxView } from './OutboxView/index.tsx';
import { ProfilePicker } from './ProfilePicker/index.tsx';
import { type ActiveSession, openSession } from './session.ts';
import { parseSetupLink } from './setup-link.ts';
import { navigate, useRoute } from './router.tsx';
import { openServices, type Services } from './services.ts';
import { SignIn } from './SignIn/index.tsx';
import { UpdatePrompt } from './UpdatePrompt/index.tsx';
import { useWeek } from './use-week.ts';
import { WeekView } from './WeekView/index.tsx';
import { lazyScreen } from './lazy-screen.tsx';

// The screens a pupil does not need to see their week: in their own chunks (lazy-screen.tsx).
const SubmissionsView = lazyScreen(() => import('./SubmissionsView/index.tsx').then((m) => m.SubmissionsView));
const ReadinessView = lazyScreen(() => import('./ReadinessView/index.tsx').then((m) => m.ReadinessView));
const SchoolView = lazyScreen(() => import('./SchoolView/index.tsx').then((m) => m.SchoolView));
const PublishView = lazyScreen(() => import('./PublishView/index.tsx').then((m) => m.PublishView));
const LessonView = lazyScreen(() => import('./LessonView/index.tsx').then((m) => m.LessonView));
const AssignmentView = lazyScreen(() => import('./AssignmentView/index.tsx').then((m) => m.AssignmentView));

/**
 * Once the first screen is up and the page is idle, the pupil's other screens (a lesson, an assignment) and their
 * words are loaded too: the service worker precaches them anyway, but a browser without one (or before it is
 * installed) still opens them after the network has gone.
 */
function preloadPupilScreens(locale: Locale): () => void {
  const load = () => {
    void Promise.all([
      import('./LessonView/index.tsx'),
      import('./AssignmentView/index.tsx'),
      loadScreenMessages(locale),
    ]).catch(() => undefined);
  };
  if (typeof requestIdleCallback === 'function') {
    const handle = requestIdleCallback(load, { timeout: 5_000 });
    return () => cancelIdleCallback(handle);
  }
  const timer = setTimeout(load, 1_000);
  return () => clearTimeout(timer);
}

function readStoredLocale(): string | null {
  try {
    return localStorage.getItem(LOCALE_STORAGE_KEY);
  } catch {
    return null;
  }
}

function useLocaleState() {
  const [locale, setLocaleState] = useState<Locale>(() => detectLocale(readStoredLocale(), navigator.languages));
  // Bumped when a chosen catalogue arrives, so the page speaks it.
  const [arrived, setArrived] = useState(0);
  useEffect(() => {
    document.documentElement.lang = locale;
    if (!hasCatalogue(locale))
      loadCatalogue(locale)
        .then(() => setArrived((n) => n + 1))
        .catch(() => undefined);
  }, [locale]);
  const setLocale = useCallback((next: Locale) => {
    setLocaleState(next);
    try {
      localStorage.setItem(LOCALE_STORAGE_KEY, next);
    } catch {
      // Private mode may refuse storage: the choice then lasts for this visit only.
    }
  }, []);
  return useMemo(() => ({ locale, t: translator(locale), setLocale }), [locale, setLocale, arrived]);
}

function SignedIn(props: { services: Services; session: ActiveSession }): JSX.Element {
  const { t } = useI18n();
  const route = useRoute();
  const klass = props.session.classes[0];
  const week = klass ? isoWeekAt(Date.now(), klass.timeZone) : '';
  const state = useWeek(props.services, props.session, klass?.id ?? '', week);
  useEffect(() => startOutboxTriggers(props.services), [props.services]);
  useEffect(() => {
    if (import.meta.env.PROD) requestPeriodicPrefetch(PREFETCH_SYNC_TAG).catch(() => undefined);
  }, []);
  const { locale } = useI18n();
  useEffect(() => preloadPupilScreens(locale), [locale]);
  // An admin's start page is the school: they have no class of their own to read.
  if (props.session.user.role === 'admin' && (route.name === 'school' || !klass))
    return <SchoolView services={props.services} session={props.session} />;
  if (!klass) return <p>{t('week.noClass')}</p>;
  if (route.name === 'lesson') {
    return <LessonView services={props.services} classId={klass.id} week={route.week} lessonId={route.lessonId} />;
  }
  if (route.name === 'assignment' || route.name === 'submissions') {
    const screen = { ...props, klass, week: route.week, assignmentId: route.assignmentId };
    return route.name === 'assignment' ? <AssignmentView {...screen} /> : <SubmissionsView {...screen} />;
  }
  if (route.name === 'readiness' && props.session.user.role !== 'pupil')
    return <ReadinessView session={props.session} klass={klass} week={week} />;
  if (route.name === 'outbox') return <OutboxView services={props.services} klass={klass} />;
  if (route.name === 'publish' && props.session.user.role !== 'pupil')
    return (
      <PublishView
        services={props.services}
        session={props.session}
        klass={klass}
        {...(route.week ? { week: route.week } : {})}
      />
    );
  if (!state.loaded) return <p aria-busy="true">{t('app.loading')}</p>;
  return <WeekView services={props.services} session={props.session} klass={klass} week={week} state={state} />;
}

/** Who uses the page: nobody yet (loading), nobody (sign-in or "Qui es-tu ?"), or an open profile. */
type Who = undefined | null | ActiveSession;

export function App(): JSX.Element {
  const i18n = useLocaleState();
  const [services, setServices] = useState<Services | 'failed' | undefined>();
  const [config, setConfig] = useState<DeviceConfig>({ key: 'config', shared: false });
  const [session, setSession] = useState<Who>();
  const [newPupil, setNewPupil] = useState(false);
  const [applyUpdate, setApplyUpdate] = useState<(() => void) | undefined>();

  /** Opens a profile in this page: only its key is in the keyring, so only its work can be read. */
  const open = useCallback(async (s: Services, profile: ProfileRecord, key: CryptoKey): Promise<void> => {
    s.keyring.clear();
    const tokens = await s.profiles.tokens(profile, key);
    if (!tokens) {
      setSession(null);
      return;
    }
    s.keyring.set(profile.userId, key);
    setNewPupil(false);
    setSession(
      openSession(profile, tokens, {
        transport: s.transport,
        profiles: s.profiles,
        onEnded: () => {
          s.keyring.clear();
          setSession(null);
        },
      }),
    );
  }, []);

  useEffect(() => {
    const boot = async () => {
      try {
        const s = await openServices();
        setServices(s);
        let cfg = await s.profiles.config();
        const setup = parseSetupLink(location.pathname, location.search);
        if (setup) {
          await s.profiles.setConfig(setup);
          cfg = { ...setup, key: 'config' };
          history.replaceState(null, '', '/');
        }
        setConfig(cfg);
        // A personal device reopens its last account; a shared one always starts at "Qui es-tu ?".
        const last = cfg.shared ? undefined : (await s.profiles.list()).find((p) => p.session);
        if (last?.privateKey.kind === 'stored') await open(s, last, last.privateKey.key);
        else setSession(null);
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
  }, [open]);

  const usable = services && services !== 'failed' ? services : undefined;

  const onOpened = (opened: { profile: ProfileRecord; key: CryptoKey }) => {
    if (!usable) return;
    open(usable, opened.profile, opened.key).catch(() => setSession(null));
    // Work of other profiles may be waiting for the network: this is a good moment to try.
    void usable.runner.kick().catch(() => undefined);
  };

  /** Hides this pupil's work at once; their session and queued work stay (sent with their own device token). */
  const onSwitch = () => {
    usable?.keyring.clear();
    setSession(null);
    navigate('/');
  };

  const onSignOut = () => {
    if (!usable || !session) return;
    const userId = session.user.id;
    const token = session.accessToken();
    usable.keyring.clear();
    setSession(null);
    navigate('/');
    usable.profiles.saveTokens(userId, undefined).catch((err: unknown) => console.warn('sign-out', err));
    usable.transport
      .send({ method: 'POST', path: signOutUrl(), headers: { authorization: `Bearer ${token}` } })
      .catch(() => undefined); // Offline: the tokens expire by themselves.
  };

  let content: JSX.Element;
  if (services === 'failed') content = <p role="alert">{i18n.t('app.storageError')}</p>;
  else if (!usable || session === undefined) content = <p aria-busy="true">{i18n.t('app.loading')}</p>;
  else if (session === null && config.shared && !newPupil)
    content = <ProfilePicker services={usable} onOpened={onOpened} onNewPupil={() => setNewPupil(true)} />;
  else if (session === null)
    content = (
      <SignIn
        services={usable}
        shared={config.shared}
        onSignedIn={onOpened}
        onBack={config.shared ? () => setNewPupil(false) : undefined}
      />
    );
  else content = <SignedIn services={usable} session={session} />;

  const page = (
    <>
      <Header session={session ?? undefined} onSignOut={onSignOut} onSwitch={config.shared ? onSwitch : undefined} />
      {applyUpdate && <UpdatePrompt onApply={applyUpdate} onDismiss={() => setApplyUpdate(undefined)} />}
      <main id="contenu" tabIndex={-1}>
        {content}
      </main>
    </>
  );
  return (
    <I18nContext.Provider value={i18n}>
      {usable && session ? (
        <OutboxProvider services={usable} owner={session.user.id}>
          <FeedbackProvider services={usable} session={session}>
            {page}
          </FeedbackProvider>
        </OutboxProvider>
      ) : (
        page
      )}
    </I18nContext.Provider>
  );
}
