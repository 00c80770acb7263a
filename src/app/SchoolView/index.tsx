/**
 * The school admin's screen: the link (and QR code) that sets a shared tablet up, the classes with their pupils, a
 * new class, a CSV import of pupils with a report of every refused line, and sign-in cards to print (the secrets
 * are shown once: the server keeps only their hash). Needs the network: nothing of it is kept on the device.
 */
import type { JSX } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { formText } from '../form.ts';
import { type MessageKey, useI18n } from '../i18n/index.ts';
import type { ActiveSession } from '../session.ts';
import type { Services } from '../services.ts';
import { setupLink } from '../setup-link.ts';
import { useFocusOnMount } from '../use-focus.ts';
import { schoolDevicesUrl } from '../../protocol/paths.ts';
import type { SchoolDevicesReply } from '../../protocol/schemas.ts';
import { QrCode } from './QrCode.tsx';

interface Person {
  id: string;
  username: string;
  displayName: string;
}
interface School {
  school: { id: string; name: string };
  teachers: Person[];
  classes: { id: string; name: string; teacherId: string; pupils: Person[] }[];
}
/** A card to print: the secret is known only here and now. */
interface Card {
  username: string;
  displayName: string;
  secret: string;
  className: string;
}
type Notice = { key: MessageKey; values?: Record<string, string | number>; alert?: boolean };

const json = (body: Uint8Array): unknown => JSON.parse(new TextDecoder().decode(body));

/** The sign-in link a card's QR code opens: the username rides in the fragment, never sent to a server. */
export const cardLink = (origin: string, username: string): string => `${origin}/#u=${encodeURIComponent(username)}`;

/**
 * The school's shared tablets as they last reported with their week checks: when, the weeks they hold (up to date or
 * not) and how many items wait in their queue: counts only, never whose or what.
 */
function Tablets(props: { session: ActiveSession; classes: School['classes'] }): JSX.Element {
  const { t, locale } = useI18n();
  const [devices, setDevices] = useState<SchoolDevicesReply['devices'] | 'offline' | undefined>();
  useEffect(() => {
    let live = true;
    const load = async () => {
      const res = await props.session.send({ method: 'GET', path: schoolDevicesUrl() });
      return res.status === 200 ? (json(res.body) as SchoolDevicesReply).devices : 'offline';
    };
    void load()
      .catch(() => 'offline' as const)
      .then((d) => live && setDevices(d));
    return () => {
      live = false;
    };
  }, [props.session]);
  const className = (id: string) => props.classes.find((c) => c.id === id)?.name ?? id;
  const when = (iso: string) =>
    new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
  return (
    <section aria-labelledby="tablets-title" class="card">
      <h2 id="tablets-title">{t('school.tabletsTitle')}</h2>
      {devices === undefined && <p aria-busy="true">{t('app.loading')}</p>}
      {devices === 'offline' && <p>{t('school.tabletsOffline')}</p>}
      {Array.isArray(devices) && devices.length === 0 && <p>{t('school.tabletsNone')}</p>}
      {Array.isArray(devices) && devices.length > 0 && (
        <ul class="cards" data-testid="tablets">
          {devices.map((d) => (
            <li key={d.deviceId}>
              <h3>
                {d.seat !== undefined
                  ? t('school.tablet', { seat: d.seat + 1 })
                  : t('school.tabletId', { id: d.deviceId.slice(0, 8) })}
              </h3>
              <p class="meta">{t('school.tabletContact', { date: when(d.lastContactAt) })}</p>
              <p class={d.queued > 0 ? 'state pending' : 'meta'}>{t('school.tabletQueued', { count: d.queued })}</p>
              <ul>
                {d.weeks.map((w) => (
                  <li key={`${w.classId}/${w.week}`}>
                    {t(
                      w.latestVersion === undefined || w.version >= w.latestVersion
                        ? 'school.tabletWeekCurrent'
                        : 'school.tabletWeekOld',
                      { className: className(w.classId), week: w.week, version: w.version },
                    )}
                  </li>
                ))}
              </ul>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function Cards(props: { school: string; cards: Card[] }): JSX.Element {
  const { t } = useI18n();
  return (
    <section aria-labelledby="cards-title" class="cards-section">
      <h2 id="cards-title">{t('school.cardsTitle')}</h2>
      <p class="hint">{t('school.cardsHint')}</p>
      <button type="button" class="primary" onClick={() => print()}>
        {t('school.print')}
      </button>
      <ul class="sign-in-cards">
        {props.cards.map((c) => (
          <li key={c.username} class="sign-in-card">
            <p class="card-school">{props.school}</p>
            <p class="card-name">{c.displayName}</p>
            <dl>
              {c.className && (
                <>
                  <dt>{t('school.card.class')}</dt>
                  <dd>{c.className}</dd>
                </>
              )}
              <dt>{t('school.card.username')}</dt>
              <dd>
                <code>{c.username}</code>
              </dd>
              <dt>{t('school.card.secret')}</dt>
              <dd>
                <code class="secret">{c.secret}</code>
              </dd>
            </dl>
            <QrCode text={cardLink(location.origin, c.username)} label={t('school.card.scan')} size={96} />
          </li>
        ))}
      </ul>
    </section>
  );
}

export function SchoolView(props: { services: Services; session: ActiveSession }): JSX.Element {
  const { t } = useI18n();
  const { session } = props;
  const heading = useFocusOnMount<HTMLHeadingElement>();
  const [school, setSchool] = useState<School | 'offline' | undefined>();
  const [notice, setNotice] = useState<Notice | undefined>();
  const [rejected, setRejected] = useState<{ line: number; reason: string }[]>([]);
  const [cards, setCards] = useState<Card[]>([]);

  const load = useCallback(async () => {
    try {
      const res = await session.send({ method: 'GET', path: '/api/school' });
      setSchool(res.status === 200 ? (json(res.body) as School) : 'offline');
    } catch {
      setSchool('offline');
    }
  }, [session]);
  useEffect(() => void load(), [load]);

  /** Sends a request; on refusal shows the server's message and answers undefined. */
  const call = async (request: Parameters<ActiveSession['send']>[0], ok: number): Promise<unknown> => {
    try {
      const res = await session.send(request);
      const body = res.body.length > 0 ? json(res.body) : undefined;
      if (res.status === ok) return body;
      const message = (body as { message?: string } | undefined)?.message ?? '';
      setNotice({ key: 'school.failed', values: { status: res.status, message }, alert: true });
    } catch {
      setNotice({ key: 'school.offline', alert: true });
    }
    return undefined;
  };

  if (school === undefined) return <p aria-busy="true">{t('app.loading')}</p>;
  if (school === 'offline')
    return (
      <h1 tabIndex={-1} ref={heading}>
        {t('school.offline')}
      </h1>
    );

  const onNewClass = async (e: SubmitEvent) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const name = formText(data, 'name');
    const body = JSON.stringify({ name, teacherId: formText(data, 'teacher') });
    const made = await call(
      { method: 'POST', path: '/api/school/classes', headers: { 'content-type': 'application/json' }, body },
      201,
    );
    if (made) {
      form.reset();
      setNotice({ key: 'school.created', values: { name } });
      await load();
    }
  };

  const onNewTeacher = async (e: SubmitEvent) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const body = JSON.stringify({ firstName: formText(data, 'firstName'), lastName: formText(data, 'lastName') });
    const card = (await call(
      { method: 'POST', path: '/api/school/teachers', headers: { 'content-type': 'application/json' }, body },
      201,
    )) as Omit<Card, 'className'> | undefined;
    if (!card) return;
    form.reset();
    setCards([{ ...card, className: '' }]);
    setNotice({ key: 'school.teacherCreated', values: { name: card.displayName } });
    await load();
  };

  const onImport = async (e: SubmitEvent) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const file = data.get('csv');
    const classId = formText(data, 'class');
    const className = school.classes.find((c) => c.id === classId)?.name ?? '';
    if (!(file instanceof File) || file.size === 0) return;
    const reply = (await call(
      {
        method: 'POST',
        path: `/api/classes/${encodeURIComponent(classId)}/pupils/import`,
        headers: { 'content-type': 'text/csv' },
        body: await file.text(),
      },
      200,
    )) as { created: Omit<Card, 'className'>[]; rejected: { line: number; reason: string }[] } | undefined;
    if (!reply) return;
    form.reset();
    setRejected(reply.rejected);
    setCards(reply.created.map((c) => ({ ...c, className })));
    setNotice({ key: 'school.imported', values: { count: reply.created.length } });
    await load();
  };

  const onNewCard = async (pupil: Person, className: string) => {
    if (!confirm(t('school.newCardConfirm', { name: pupil.displayName }))) return;
    const card = (await call({ method: 'POST', path: `/api/users/${encodeURIComponent(pupil.id)}/card` }, 200)) as
      | Omit<Card, 'className'>
      | undefined;
    if (card) setCards([{ ...card, className }]);
  };

  const link = setupLink(location.origin, school.school);
  return (
    <article class="school">
      <h1 tabIndex={-1} ref={heading}>
        {t('school.title')} — {school.school.name}
      </h1>
      {notice && (
        <p role={notice.alert ? 'alert' : 'status'} class={notice.alert ? 'error' : 'notice'}>
          {t(notice.key, notice.values ?? {})}
        </p>
      )}
      {cards.length > 0 && <Cards school={school.school.name} cards={cards} />}
      {rejected.length > 0 && (
        <section aria-labelledby="rejected-title">
          <h2 id="rejected-title">{t('school.rejectedTitle')}</h2>
          <ul>
            {rejected.map((r) => (
              <li key={r.line}>{t('school.rejectedLine', { line: r.line, reason: r.reason })}</li>
            ))}
          </ul>
        </section>
      )}
      <section aria-labelledby="classes-title">
        <h2 id="classes-title">{t('school.classes')}</h2>
        {school.classes.map((c) => (
          <details key={c.id}>
            <summary>
              {c.name} — {school.teachers.find((x) => x.id === c.teacherId)?.displayName ?? ''} —{' '}
              {t('school.pupils', { count: c.pupils.length })}
            </summary>
            <ul>
              {c.pupils.map((p) => (
                <li key={p.id}>
                  {p.displayName} (<code>{p.username}</code>){' '}
                  <button type="button" onClick={() => void onNewCard(p, c.name)}>
                    {t('school.newCard')}
                  </button>
                </li>
              ))}
            </ul>
          </details>
        ))}
      </section>
      <section aria-labelledby="import-title" class="card">
        <h2 id="import-title">{t('school.import')}</h2>
        <p class="hint">{t('school.importHint')}</p>
        <form onSubmit={(e) => void onImport(e)}>
          <label for="import-class">{t('school.card.class')}</label>
          <select id="import-class" name="class">
            {school.classes.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
          <label for="import-file">{t('school.importFile')}</label>
          <input id="import-file" name="csv" type="file" accept=".csv,text/csv,text/plain" required />
          <button type="submit" class="primary">
            {t('school.importButton')}
          </button>
        </form>
      </section>
      <section aria-labelledby="new-class-title" class="card">
        <h2 id="new-class-title">{t('school.newClass')}</h2>
        <form onSubmit={(e) => void onNewClass(e)}>
          <label for="class-name">{t('school.className')}</label>
          <input id="class-name" name="name" required maxLength={80} />
          <label for="class-teacher">{t('school.teacher')}</label>
          <select id="class-teacher" name="teacher">
            {school.teachers.map((x) => (
              <option key={x.id} value={x.id}>
                {x.displayName}
              </option>
            ))}
          </select>
          <button type="submit">{t('school.create')}</button>
        </form>
      </section>
      <section aria-labelledby="new-teacher-title" class="card">
        <h2 id="new-teacher-title">{t('school.newTeacher')}</h2>
        <form onSubmit={(e) => void onNewTeacher(e)}>
          <label for="teacher-first">{t('school.firstName')}</label>
          <input id="teacher-first" name="firstName" required maxLength={60} />
          <label for="teacher-last">{t('school.lastName')}</label>
          <input id="teacher-last" name="lastName" required maxLength={60} />
          <button type="submit">{t('school.createTeacher')}</button>
        </form>
      </section>
      <section aria-labelledby="setup-title" class="card">
        <h2 id="setup-title">{t('school.setupTitle')}</h2>
        <p class="hint">{t('school.setupHint')}</p>
        <p>
          <a href={link}>{link}</a>
        </p>
        <QrCode text={link} label={t('school.setupTitle')} size={160} />
      </section>
      <Tablets session={session} classes={school.classes} />
    </article>
  );
}
