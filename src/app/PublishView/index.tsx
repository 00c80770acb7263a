/**
 * "Publier une semaine" (teachers): the week's lessons and assignments as a list, one item edited at a time with
 * its live preview, what this version adds, changes and removes, then Publier, queued in the outbox like any other
 * write. The editor starts from the week's newest version (use-week-draft.ts) and merges what was published
 * meanwhile; a removal is always the teacher's own click.
 */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { addWeeks, isoWeekAt, mondayOfIsoWeek } from '../../protocol/iso-week.ts';
import { isLessonFileType, MAX_LESSON_FILE_BYTES } from '../../protocol/lesson-files.ts';
import type { ClassAssignmentsReply, ClassView, PublicationsReply, WeekManifest } from '../../protocol/schemas.ts';
import type { OutboxItem } from '../../sync/ports.ts';
import { contentOfManifest, EMPTY_WEEK, hasChanges, type WeekChanges, weekChanges } from '../../sync/week-merge.ts';
import { formatDay, formatDue, formatSize } from '../format.ts';
import { useI18n } from '../i18n/index.ts';
import { useOutboxView } from '../outbox-context.tsx';
import { refusalText } from '../reasons.ts';
import { Link, publishPath, submissionsPath } from '../router.tsx';
import type { Services } from '../services.ts';
import type { ActiveSession } from '../session.ts';
import { useFocusOnMount } from '../use-focus.ts';
import { AssignmentEditor, LessonEditor } from './editors.tsx';
import { MergePanel } from './MergePanel.tsx';
import { type DraftProblem, draftContent, newId, type PublishDraft, toPublication } from './publish-draft.ts';
import { type DraftFile, type Origin, useWeekDraft } from './use-week-draft.ts';

export { publishDraftKey } from './use-week-draft.ts';

type Message = { role: 'status' | 'alert'; text: string } | undefined;

function OriginLine(props: { origin: Origin | undefined; timeZone: string }): JSX.Element | null {
  const { t, locale } = useI18n();
  const o = props.origin;
  if (!o) return null;
  const text =
    o.kind === 'server'
      ? t('publish.fromServer', {
          version: o.version,
          date: o.publishedAt ? formatDue(o.publishedAt, locale, props.timeZone) : '',
        })
      : o.kind === 'device'
        ? t('publish.fromDevice', { version: o.version })
        : o.kind === 'merged'
          ? t('publish.merged', { version: o.version })
          : o.kind === 'new'
            ? t('publish.fromNothing')
            : t('publish.fromDraft');
  return (
    <p class="meta" data-testid="publish-origin">
      {text}
    </p>
  );
}

/** What this version adds, changes and removes compared with the one it replaces. */
function Changes(props: { changes: { lessons: WeekChanges; assignments: WeekChanges } }): JSX.Element {
  const { t } = useI18n();
  const rows: [string, string[]][] = [
    [t('publish.adds'), [...props.changes.lessons.added, ...props.changes.assignments.added]],
    [t('publish.changes'), [...props.changes.lessons.changed, ...props.changes.assignments.changed]],
    [t('publish.removes'), [...props.changes.lessons.removed, ...props.changes.assignments.removed]],
  ];
  return (
    <section class="changes card" aria-labelledby="changes-title">
      <h2 id="changes-title">{t('publish.changesTitle')}</h2>
      {hasChanges(props.changes) ? (
        <dl>
          {rows
            .filter(([, titles]) => titles.length > 0)
            .map(([label, titles]) => (
              <div key={label} data-change={label}>
                <dt>{label}</dt> <dd>{titles.map((x) => x || '—').join(' · ')}</dd>
              </div>
            ))}
        </dl>
      ) : (
        <p class="meta">{t('publish.noChanges')}</p>
      )}
    </section>
  );
}

/** How many of a week's newest versions the history shows, each with what it changed. */
const HISTORY_VERSIONS = 10;

/** "ajoute : …; modifie : …; retire : …" for one version of the history. */
function ChangeLine(props: { changes: { lessons: WeekChanges; assignments: WeekChanges } | undefined }) {
  const { t } = useI18n();
  const c = props.changes;
  if (!c) return null;
  const all = [c.lessons, c.assignments];
  const parts = (
    [
      [t('publish.adds'), all.flatMap((x) => x.added)],
      [t('publish.changes'), all.flatMap((x) => x.changed)],
      [t('publish.removes'), all.flatMap((x) => x.removed)],
    ] as const
  ).filter(([, titles]) => titles.length > 0);
  return (
    <span class="meta">
      {parts.length === 0
        ? t('publish.sameAsBefore')
        : parts.map(([label, titles]) => `${label} ${titles.join(' · ')}`).join(' ; ')}
    </span>
  );
}

/** The week's published versions and every assignment given for it, removed ones with their copies included. */
function WeekHistory(props: { session: ActiveSession; klass: ClassView; week: string; refresh: unknown }) {
  const { t, locale } = useI18n();
  const [loaded, setLoaded] = useState<
    | {
        versions: PublicationsReply['publications'];
        changes: Map<number, { lessons: WeekChanges; assignments: WeekChanges } | undefined>;
        assignments: ClassAssignmentsReply['assignments'];
      }
    | 'offline'
  >();
  const { session, klass, week } = props;
  useEffect(() => {
    let live = true;
    const get = async <T,>(path: string): Promise<T> => {
      const res = await session.send({ method: 'GET', path });
      if (res.status !== 200) throw new Error(String(res.status));
      return JSON.parse(new TextDecoder().decode(res.body)) as T;
    };
    const load = async () => {
      const [p, a] = await Promise.all([
        get<PublicationsReply>(`/api/classes/${klass.id}/publications`),
        get<ClassAssignmentsReply>(`/api/classes/${klass.id}/assignments`),
      ]);
      const versions = p.publications.filter((v) => v.week === week).sort((x, y) => y.version - x.version);
      // What each of the newest versions changed, from the one before it (immutable: the browser may cache them).
      const shown = versions.slice(0, HISTORY_VERSIONS);
      const manifests = new Map<number, WeekManifest>();
      const wanted = new Set(shown.flatMap((v) => (v.version > 1 ? [v.version, v.version - 1] : [v.version])));
      await Promise.all(
        [...wanted].map(async (n) =>
          manifests.set(n, await get<WeekManifest>(`/api/classes/${klass.id}/weeks/${week}/versions/${n}`)),
        ),
      );
      if (!live) return;
      const changes = new Map(
        shown.map((v) => {
          const now = manifests.get(v.version);
          const before = manifests.get(v.version - 1);
          return [
            v.version,
            now ? weekChanges(before ? contentOfManifest(before) : EMPTY_WEEK, contentOfManifest(now)) : undefined,
          ] as const;
        }),
      );
      setLoaded({
        versions: shown,
        changes,
        assignments: a.assignments.filter((x) => x.week === week),
      });
    };
    load().catch(() => live && setLoaded('offline'));
    return () => {
      live = false;
    };
  }, [session, klass.id, week, props.refresh]);
  if (loaded === undefined) return null;
  if (loaded === 'offline') return <p class="meta">{t('publish.historyOffline')}</p>;
  return (
    <>
      {loaded.assignments.length > 0 && (
        <section aria-labelledby="handed-in-title">
          <h2 id="handed-in-title">{t('publish.handedInTitle')}</h2>
          <ul class="cards">
            {loaded.assignments.map((a) => (
              <li key={a.assignmentId} class="card" data-removed={!a.inWeek}>
                <Link href={submissionsPath(a.week, a.assignmentId)}>{a.title}</Link>{' '}
                <span class="meta">
                  {a.inWeek ? '' : `${t('publish.removedFromWeek')}, `}
                  {t('publish.copies', { count: a.handedIn })}
                </span>
              </li>
            ))}
          </ul>
        </section>
      )}
      {loaded.versions.length > 0 && (
        <section aria-labelledby="versions-title">
          <h2 id="versions-title">{t('publish.history')}</h2>
          <ul>
            {loaded.versions.map((v) => (
              <li key={v.version} data-version={v.version}>
                {t('publish.versionAt', { version: v.version, date: formatDue(v.publishedAt, locale, klass.timeZone) })}
                {v.releaseAt &&
                  ` · ${t('publish.visibleFrom', { date: formatDue(v.releaseAt, locale, klass.timeZone) })}`}{' '}
                <ChangeLine changes={loaded.changes.get(v.version)} />
              </li>
            ))}
          </ul>
        </section>
      )}
    </>
  );
}

type Selected = { kind: 'lesson' | 'assignment'; id: string } | undefined;

export function PublishView(props: {
  services: Services;
  session: ActiveSession;
  klass: ClassView;
  week?: string;
}): JSX.Element {
  const { t, locale } = useI18n();
  const { services, session, klass } = props;
  const current = isoWeekAt(Date.now(), klass.timeZone);
  const [week, setWeek] = useState(props.week ?? current);
  const allItems = useOutboxView().items;
  const state = useWeekDraft(services, session, klass.id, week, klass.timeZone, allItems);
  const { draft, files } = state;
  const [selected, setSelected] = useState<Selected>();
  const [message, setMessage] = useState<Message>();
  const heading = useFocusOnMount<HTMLHeadingElement>();
  const outbox = allItems.filter((i) => i.publication && i.classId === klass.id && i.week === week);

  if (!draft) return <p aria-busy="true">{t('app.loading')}</p>;
  const chosen: Selected =
    selected && (selected.kind === 'lesson' ? draft.lessons : draft.assignments).some((x) => x.id === selected.id)
      ? selected
      : draft.lessons[0]
        ? { kind: 'lesson', id: draft.lessons[0].id }
        : draft.assignments[0]
          ? { kind: 'assignment', id: draft.assignments[0].id }
          : undefined;

  const change = (patch: Partial<PublishDraft>) => state.change({ ...draft, ...patch });
  const changeLesson = (id: string, patch: Partial<PublishDraft['lessons'][number]>) =>
    change({ lessons: draft.lessons.map((l) => (l.id === id ? { ...l, ...patch } : l)) });
  const changeAssignment = (id: string, patch: Partial<PublishDraft['assignments'][number]>) =>
    change({ assignments: draft.assignments.map((a) => (a.id === id ? { ...a, ...patch } : a)) });
  const attachmentsOf = (shas: string[]) => {
    const baseFiles = new Map(
      (draft.base?.content.lessons ?? []).flatMap((l) => l.attachments.map((a) => [a.sha256, a.name] as const)),
    );
    return shas.flatMap((sha) => {
      const f = files.get(sha);
      if (f) return [{ sha256: sha, name: f.name, type: f.type, size: f.size }];
      const name = baseFiles.get(sha);
      return name ? [{ sha256: sha, name, type: 'application/octet-stream', size: 0 }] : [];
    });
  };

  const onPick = async (lessonId: string, picked: File[]) => {
    const refused: string[] = [];
    const added: DraftFile[] = [];
    for (const file of picked) {
      // Checked here, before anything is stored or sent: the teacher learns at once, not after an upload.
      if (!isLessonFileType(file.type)) {
        refused.push(t('publish.badType', { name: file.name }));
        continue;
      }
      if (file.size > MAX_LESSON_FILE_BYTES) {
        refused.push(t('publish.tooBig', { name: file.name, size: formatSize(file.size, t, locale) }));
        continue;
      }
      const bytes = new Uint8Array(await file.arrayBuffer());
      const sha256 = await services.hasher.sha256Hex(bytes);
      added.push({ sha256, name: file.name, type: file.type, size: bytes.byteLength, bytes });
      // Also in the device's lesson files: the preview shows it, and after publishing it is already here.
      await services.files.put({ sha256, type: file.type, bytes });
    }
    const now = state.latest();
    if (now.draft?.lessons.some((l) => l.id === lessonId)) {
      const next = new Map(now.files);
      for (const f of added) next.set(f.sha256, f);
      const lessons = now.draft.lessons.map((l) =>
        l.id === lessonId ? { ...l, files: [...new Set([...l.files, ...added.map((f) => f.sha256)])] } : l,
      );
      state.change({ ...now.draft, lessons }, next);
    }
    setMessage(refused.length > 0 ? { role: 'alert', text: refused.join(' ') } : undefined);
  };

  const problemText = (p: DraftProblem) =>
    'lesson' in p ? t(p.key, { n: p.lesson }) : 'assignment' in p ? t(p.key, { n: p.assignment }) : t(p.key);

  const onPublish = async (e: SubmitEvent) => {
    e.preventDefault();
    if (state.pendingMerge) {
      setMessage({ role: 'alert', text: t('merge.first') });
      return;
    }
    const built = toPublication(draft, files, klass.timeZone);
    if ('problems' in built) {
      setMessage({ role: 'alert', text: built.problems.map(problemText).join(' ') });
      return;
    }
    const item: OutboxItem = {
      id: crypto.randomUUID(),
      owner: session.user.id,
      classId: klass.id,
      week,
      assignmentId: 'publication',
      assignmentTitle: t('publish.itemTitle', { monday: formatDay(mondayOfIsoWeek(week), locale) }),
      text: built.body.lessons.map((l) => l.title).join(' · '),
      files: built.files,
      submittedAt: new Date().toISOString(),
      createdAt: Date.now(),
      state: 'pending',
      attempts: 0,
      publication: built.body,
    };
    try {
      await state.publish(
        item,
        built.files.flatMap((f) => files.get(f.sha256) ?? []),
      );
      setMessage({ role: 'status', text: t('publish.queued') });
    } catch {
      setMessage({ role: 'alert', text: t('publish.draftFailed') });
    }
  };

  const content = draftContent(draft, files, klass.timeZone);
  const changes = weekChanges(draft.base?.content ?? { lessons: [], assignments: [] }, content);
  const queued = outbox.filter((i) => i.state === 'pending' || i.state === 'sending');
  const conflicted = outbox.filter((i) => i.state === 'conflict' || i.state === 'refused');
  const base = draft.base;
  const saveState = state.pendingMerge
    ? t('publish.state.conflict')
    : queued.length > 0
      ? t('publish.state.queued')
      : conflicted[0]
        ? t('publish.state.refused', { reason: conflicted[0].refusal ? refusalText(conflicted[0].refusal, t) : '' })
        : state.saved === 'failed'
          ? t('publish.draftFailed')
          : hasChanges(changes)
            ? t('publish.state.draft')
            : base && base.version > 0
              ? base.publishedAt
                ? t('publish.state.published', {
                    version: base.version,
                    date: formatDue(base.publishedAt, locale, klass.timeZone),
                  })
                : t('publish.state.publishedVersion', { version: base.version })
              : t('publish.state.new');

  const lesson = chosen?.kind === 'lesson' ? draft.lessons.find((l) => l.id === chosen.id) : undefined;
  const assignment = chosen?.kind === 'assignment' ? draft.assignments.find((a) => a.id === chosen.id) : undefined;
  const listItem = (kind: 'lesson' | 'assignment', id: string, title: string, fallback: string) => (
    <li key={id}>
      <button
        type="button"
        class="item-choice"
        aria-current={chosen?.kind === kind && chosen.id === id ? 'true' : undefined}
        onClick={() => setSelected({ kind, id })}
      >
        {title.trim() || fallback}
      </button>
    </li>
  );
  const weeks = [...new Set([-1, 0, 1, 2].map((n) => addWeeks(current, n)).concat(week))].sort();
  return (
    <form onSubmit={(e) => void onPublish(e)} class="publish">
      <h1 tabIndex={-1} ref={heading}>
        {t('publish.title')}
      </h1>
      <div class="publish-head">
        <p>
          <label for="publish-week">{t('publish.week')}</label>{' '}
          <select
            id="publish-week"
            value={week}
            onChange={(e) => {
              const picked = e.currentTarget.value;
              setWeek(picked);
              // In the address too: a reload or a bookmark reopens this week.
              history.replaceState(null, '', publishPath(picked));
            }}
          >
            {weeks.map((w) => (
              <option key={w} value={w}>
                {t('publish.weekOf', { monday: formatDay(mondayOfIsoWeek(w), locale) })}
              </option>
            ))}
          </select>
        </p>
        <OriginLine origin={state.origin} timeZone={klass.timeZone} />
        <p class="save-state" data-testid="save-state" role="status">
          {saveState}
        </p>
      </div>
      <p role={message?.role ?? 'status'} class={message?.role === 'alert' ? 'error' : 'meta'}>
        {message?.text}
      </p>
      {state.pendingMerge && (
        <MergePanel pending={state.pendingMerge} timeZone={klass.timeZone} onResolve={state.resolve} />
      )}
      <div class="editor-layout">
        <nav class="item-list" aria-label={t('publish.contents')}>
          <h2>{t('week.lessons')}</h2>
          <ul>{draft.lessons.map((l) => listItem('lesson', l.id, l.title, t('publish.untitledLesson')))}</ul>
          <button
            type="button"
            onClick={() => {
              const id = newId('lecon');
              change({ lessons: [...draft.lessons, { id, title: '', body: '', files: [] }] });
              setSelected({ kind: 'lesson', id });
            }}
          >
            {t('publish.addLesson')}
          </button>
          <h2>{t('week.assignments')}</h2>
          <ul>
            {draft.assignments.map((a) => listItem('assignment', a.id, a.title, t('publish.untitledAssignment')))}
          </ul>
          <button
            type="button"
            onClick={() => {
              const id = newId('devoir');
              change({ assignments: [...draft.assignments, { id, title: '', instructions: '', due: '' }] });
              setSelected({ kind: 'assignment', id });
            }}
          >
            {t('publish.addAssignment')}
          </button>
        </nav>
        {lesson ? (
          <LessonEditor
            lesson={lesson}
            attachments={attachmentsOf(lesson.files)}
            onChange={(patch) => changeLesson(lesson.id, patch)}
            onFiles={(picked) => void onPick(lesson.id, picked)}
            onRemove={() => {
              if (confirm(t('publish.removeConfirm', { title: lesson.title || t('publish.untitledLesson') })))
                change({ lessons: draft.lessons.filter((l) => l.id !== lesson.id) });
            }}
          />
        ) : assignment ? (
          <AssignmentEditor
            assignment={assignment}
            timeZone={klass.timeZone}
            onChange={(patch) => changeAssignment(assignment.id, patch)}
            onRemove={() => {
              if (confirm(t('publish.removeConfirm', { title: assignment.title || t('publish.untitledAssignment') })))
                change({ assignments: draft.assignments.filter((a) => a.id !== assignment.id) });
            }}
          />
        ) : (
          <p class="item-editor meta">{t('publish.emptyWeek')}</p>
        )}
      </div>
      <Changes changes={changes} />
      <div class="field">
        <label for="publish-release">{t('publish.release')}</label>
        <input
          id="publish-release"
          type="datetime-local"
          value={draft.releaseAt}
          onInput={(e) => change({ releaseAt: e.currentTarget.value })}
        />
        <p class="meta">{t('publish.releaseHint')}</p>
      </div>
      <p>
        <button type="submit" class="primary">
          {t('publish.submit')}
        </button>
      </p>
      <WeekHistory session={session} klass={klass} week={week} refresh={outbox.map((i) => i.state).join()} />
    </form>
  );
}
