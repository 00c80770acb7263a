/**
 * "Qui est prêt ?": before Monday, per pupil of the class, whether one of their devices holds this week's current
 * version, when one last reached the server, and each assignment's state (pas rendu, rendu, corrigé, vu), all
 * learnt by the server from requests devices already make. A filter "pas joint depuis…" and a CSV export.
 */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { readinessUrl } from '../../protocol/paths.ts';
import type { ClassView, ReadinessReply } from '../../protocol/schemas.ts';
import { formatDue } from '../format.ts';
import { type Translate, useI18n } from '../i18n/index.ts';
import type { ActiveSession } from '../session.ts';
import { useFocusOnMount } from '../use-focus.ts';

type Loaded = ReadinessReply | 'offline' | undefined;
type Pupil = ReadinessReply['pupils'][number];

/** "Pas joint depuis…": every pupil, or those no device of whom reached the server for this many days. */
const SINCE_DAYS = [0, 1, 3, 7] as const;
const DAY_MS = 86_400_000;

const unreachedFor = (p: Pupil, days: number, now: number) =>
  days === 0 || p.lastContactAt === undefined || Date.parse(p.lastContactAt) < now - days * DAY_MS;

/** The table as a CSV a spreadsheet opens in French (`;`, UTF-8 with its mark). */
export function readinessCsv(reply: ReadinessReply, pupils: Pupil[], t: Translate, when: (iso: string) => string) {
  const cell = (v: string) => (/[";\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
  const head = [t('ready.pupil'), t('ready.holds'), t('ready.lastContact'), ...reply.assignments.map((a) => a.title)];
  const rows = pupils.map((p) => [
    p.displayName,
    holdsText(p, t),
    p.lastContactAt ? when(p.lastContactAt) : t('ready.never'),
    ...p.assignments.map((a) => t(`ready.standing.${a.standing}`)),
  ]);
  return `\uFEFF${[head, ...rows].map((r) => r.map(cell).join(';')).join('\r\n')}\r\n`;
}

function holdsText(p: Pupil, t: Translate): string {
  if (p.ready) return t('ready.yes');
  return p.holdsVersion === undefined ? t('ready.no') : t('ready.older', { version: p.holdsVersion });
}

export function ReadinessView(props: { session: ActiveSession; klass: ClassView; week: string }): JSX.Element {
  const { t, locale } = useI18n();
  const heading = useFocusOnMount<HTMLHeadingElement>();
  const [loaded, setLoaded] = useState<Loaded>();
  const [days, setDays] = useState<number>(0);
  const { session, klass, week } = props;
  useEffect(() => {
    let live = true;
    const load = async (): Promise<Loaded> => {
      const res = await session.send({ method: 'GET', path: readinessUrl(klass.id, week) });
      if (res.status !== 200) return 'offline';
      return JSON.parse(new TextDecoder().decode(res.body)) as ReadinessReply;
    };
    void load()
      .catch((): Loaded => 'offline')
      .then((r) => live && setLoaded(r));
    return () => {
      live = false;
    };
  }, [session, klass.id, week]);

  if (loaded === undefined) return <p aria-busy="true">{t('app.loading')}</p>;
  if (loaded === 'offline')
    return (
      <h1 tabIndex={-1} ref={heading}>
        {t('ready.needsNetwork')}
      </h1>
    );
  const now = Date.now();
  const when = (iso: string) => formatDue(iso, locale, klass.timeZone);
  const shown = loaded.pupils.filter((p) => unreachedFor(p, days, now));
  const ready = loaded.pupils.filter((p) => p.ready).length;
  const exportCsv = () => {
    const blob = new Blob([readinessCsv(loaded, shown, t, when)], { type: 'text/csv;charset=utf-8' });
    const url = URL.createObjectURL(blob);
    Object.assign(document.createElement('a'), { href: url, download: `qui-est-pret-${klass.id}-${week}.csv` }).click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  };
  return (
    <article class="readiness">
      <h1 tabIndex={-1} ref={heading}>
        {t('ready.title')}
      </h1>
      <p class="subtitle">
        {t('ready.count', { ready, total: loaded.pupils.length, week })}
        {loaded.latestVersion === undefined ? ` · ${t('ready.nothingPublished')}` : ''}
      </p>
      <div class="toolbar">
        <label for="since">{t('ready.since')}</label>
        <select id="since" value={String(days)} onChange={(e) => setDays(Number(e.currentTarget.value))}>
          {SINCE_DAYS.map((d) => (
            <option key={d} value={String(d)}>
              {d === 0 ? t('ready.everyone') : t('ready.days', { count: d })}
            </option>
          ))}
        </select>
        <button type="button" onClick={exportCsv}>
          {t('ready.export')}
        </button>
      </div>
      {/* Focusable and named, so a keyboard can scroll the table sideways on a phone. */}
      <div class="table-scroll" tabIndex={0} role="region" aria-label={t('ready.title')}>
        <table>
          <caption class="visually-hidden">{t('ready.title')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('ready.pupil')}</th>
              <th scope="col">{t('ready.holds')}</th>
              <th scope="col">{t('ready.lastContact')}</th>
              {loaded.assignments.map((a) => (
                <th scope="col" key={a.assignmentId}>
                  {a.title}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {shown.map((p) => (
              <tr key={p.pupilId} data-ready={p.ready}>
                <th scope="row">{p.displayName}</th>
                <td class={p.ready ? 'ok' : 'warn'}>{holdsText(p, t)}</td>
                <td>{p.lastContactAt ? when(p.lastContactAt) : t('ready.never')}</td>
                {p.assignments.map((a) => (
                  <td key={a.assignmentId} class={`standing ${a.standing}`}>
                    {t(`ready.standing.${a.standing}`)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {shown.length === 0 && <p>{t('ready.noneUnreached')}</p>}
      <p class="meta">{t('ready.how')}</p>
    </article>
  );
}
