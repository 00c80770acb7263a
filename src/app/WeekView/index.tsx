/** "Cette semaine": the week's lessons and assignments with their due dates, and whether the week is offline-ready. */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { draftKey } from '../../storage/drafts.ts';
import type { OutboxItem } from '../../sync/ports.ts';
import { mondayOfIsoWeek } from '../../protocol/iso-week.ts';
import type { ClassView } from '../../protocol/schemas.ts';
import type { ActiveSession } from '../session.ts';
import { ItemStatus } from '../OutboxView/ItemStatus.tsx';
import { useFeedback } from '../feedback-context.tsx';
import { useOutboxView } from '../outbox-context.tsx';
import { formatDay, formatDue, formatSize, formatWhen } from '../format.ts';
import { type Translate, useI18n } from '../i18n/index.ts';
import { assignmentPath, Link, lessonPath, submissionsPath } from '../router.tsx';
import { useFocusOnMount } from '../use-focus.ts';
import type { Services } from '../services.ts';
import type { WeekState, WeekStatus } from '../use-week.ts';
import { DeviceTools } from './DeviceTools.tsx';

function statusText(status: WeekStatus, hasWeek: boolean, t: Translate, locale: string): string {
  switch (status.kind) {
    case 'checking':
      return t('status.checking');
    case 'downloading':
      return t('status.downloading', { done: status.done, total: status.total });
    case 'ready':
      return t('status.ready');
    case 'offline':
      return hasWeek ? t('status.offline') : t('status.offlineEmpty');
    case 'not-published':
      return t('status.notPublished');
    case 'expired':
      return t('status.expired');
    case 'no-room':
      return t('status.noRoom', {
        needed: formatSize(status.neededBytes, t, locale),
        free: formatSize(status.freeBytes, t, locale),
      });
    default:
      return t('status.error');
  }
}

type HomeworkState = 'todo' | 'draft' | 'waiting' | 'received' | 'refused';

/** Where this pupil's homework for an assignment stands: the newest thing they queued, else a draft, else nothing. */
function homeworkState(latest: OutboxItem | undefined, hasDraft: boolean): HomeworkState {
  if (latest?.state === 'refused') return 'refused';
  if (latest?.state === 'received' || latest?.state === 'conflict') return 'received';
  if (latest) return 'waiting';
  return hasDraft ? 'draft' : 'todo';
}

/** The assignments with a draft on this device for this pupil (drafts are per pupil and assignment). */
function useDrafts(services: Services, owner: string, classId: string, week: string, ids: string[]): Set<string> {
  const [found, setFound] = useState<Set<string>>(new Set());
  const key = ids.join();
  useEffect(() => {
    let live = true;
    const look = async () => {
      const has = await Promise.all(
        ids.map(async (id) => ((await services.drafts.get(draftKey(owner, classId, week, id))) ? id : undefined)),
      );
      if (live) setFound(new Set(has.filter((id): id is string => id !== undefined)));
    };
    look().catch(() => undefined);
    return () => {
      live = false;
    };
  }, [services, owner, classId, week, key]);
  return found;
}

export function WeekView(props: {
  services: Services;
  session: ActiveSession;
  klass: ClassView;
  week: string;
  state: WeekState & { checkNow: () => void };
}): JSX.Element {
  const { t, locale } = useI18n();
  const { items } = useOutboxView();
  const returned = useFeedback().list.filter((f) => f.classId === props.klass.id);
  const heading = useFocusOnMount<HTMLHeadingElement>();
  const { manifest, status } = props.state;
  const lessons = [...(manifest?.lessons ?? [])].sort((a, b) => a.order - b.order);
  const assignments = [...(manifest?.assignments ?? [])].sort((a, b) => a.dueAt.localeCompare(b.dueAt));
  const pupil = props.session.user.role === 'pupil';
  const drafts = useDrafts(
    props.services,
    props.session.user.id,
    props.klass.id,
    props.week,
    pupil ? assignments.map((a) => a.id) : [],
  );
  return (
    <>
      <h1 tabIndex={-1} ref={heading}>
        {t('week.title')}
      </h1>
      <p class="subtitle">
        {t('week.subtitle', { className: props.klass.name, monday: formatDay(mondayOfIsoWeek(props.week), locale) })}
      </p>
      <p role="status" class={`week-status ${status.kind}`} data-state={status.kind}>
        {statusText(status, manifest !== undefined, t, locale)}
      </p>
      {status.kind === 'downloading' && (
        <progress
          max={status.total}
          value={status.done}
          aria-label={t('status.downloading', { done: status.done, total: status.total })}
        />
      )}
      <p class="next-check">
        {props.state.nextCheckAt !== undefined && (
          <span data-testid="next-check">
            {t('week.nextCheck', {
              when: formatWhen(props.state.nextCheckAt, Date.now(), t, locale, props.klass.timeZone),
            })}{' '}
          </span>
        )}
        <button type="button" class="link-button" onClick={props.state.checkNow} disabled={status.kind === 'checking'}>
          {t('week.checkNow')}
        </button>
      </p>
      <section aria-labelledby="lessons-title">
        <h2 id="lessons-title">{t('week.lessons')}</h2>
        {lessons.length === 0 ? (
          <p>{t('week.noLessons')}</p>
        ) : (
          <ul class="cards">
            {lessons.map((lesson) => (
              <li key={lesson.id} class="card">
                <Link href={lessonPath(props.week, lesson.id)}>{lesson.title}</Link>
                <span class="meta">{t('week.attachments', { count: lesson.attachments.length })}</span>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="assignments-title">
        <h2 id="assignments-title">{t('week.assignments')}</h2>
        {assignments.length === 0 ? (
          <p>{t('week.noAssignments')}</p>
        ) : (
          <ul class="cards">
            {assignments.map((a) => (
              <li key={a.id} class="card">
                <h3>{a.title}</h3>
                <p>{a.instructions}</p>
                <p class="due">
                  <time dateTime={a.dueAt}>
                    {t('week.due', { date: formatDue(a.dueAt, locale, props.klass.timeZone) })}
                  </time>
                </p>
                {(() => {
                  const latest = items.find((i) => i.assignmentId === a.id && i.week === props.week);
                  if (!pupil) return null;
                  const state = homeworkState(latest, drafts.has(a.id));
                  const corrected = returned.some((f) => f.assignmentId === a.id && f.week === props.week);
                  return (
                    <>
                      {corrected && (
                        <p class="badge" data-testid="corrected">
                          {t('feedback.badge')}
                        </p>
                      )}
                      <p class={`hw-state ${state}`} data-testid="homework-state" data-state={state}>
                        {state === 'received' && latest
                          ? t('week.hw.received', {
                              date: formatDue(
                                latest.receipt?.receivedAt ?? latest.submittedAt,
                                locale,
                                props.klass.timeZone,
                              ),
                            })
                          : t(`week.hw.${state}`)}
                      </p>
                      {latest && <ItemStatus item={latest} timeZone={props.klass.timeZone} compact />}
                      <p>
                        <Link href={assignmentPath(props.week, a.id)} class="button">
                          {t(
                            state === 'todo' || state === 'draft'
                              ? 'week.handIn'
                              : state === 'refused'
                                ? 'week.fix'
                                : 'week.handInAgain',
                          )}
                          <span class="visually-hidden"> : {a.title}</span>
                        </Link>
                      </p>
                    </>
                  );
                })()}
                {!pupil && (
                  <p>
                    <Link href={submissionsPath(props.week, a.id)} class="button">
                      {t('teacher.viewSubmissions')}
                      <span class="visually-hidden"> : {a.title}</span>
                    </Link>
                  </p>
                )}
              </li>
            ))}
          </ul>
        )}
      </section>
      <DeviceTools
        services={props.services}
        classId={props.klass.id}
        week={props.week}
        hasWeek={manifest !== undefined}
      />
    </>
  );
}
