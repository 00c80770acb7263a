/**
 * "Publier une semaine" (teachers): lessons in Markdown with a preview and attached files, assignments with their
 * due dates, an optional release time. Saved on the device as the teacher types; Publier queues the publication in
 * the outbox like any other write, so it leaves when the server can take it, offline or not.
 */
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { addWeeks, isoWeekAt, mondayOfIsoWeek } from '../../protocol/iso-week.ts';
import {
  isLessonFileType,
  LESSON_FILE_TYPES,
  LESSON_TYPE_ALIASES,
  MAX_LESSON_FILE_BYTES,
} from '../../protocol/lesson-files.ts';
import type { ClassView, FileRef } from '../../protocol/schemas.ts';
import type { ActiveSession } from '../session.ts';
import { OUTBOX_SYNC_TAG } from '../../storage/outbox-wiring.ts';
import { requestOutboxSync } from '../../sw-bridge/register.ts';
import type { OutboxFile, OutboxItem } from '../../sync/ports.ts';
import { formatDay, formatSize } from '../format.ts';
import { useI18n } from '../i18n/index.ts';
import { useOutboxView } from '../outbox-context.tsx';
import type { Services } from '../services.ts';
import {
  type DraftProblem,
  draftFromManifest,
  emptyDraft,
  newId,
  type PublishDraft,
  toPublication,
} from './publish-draft.ts';

const DRAFT_DELAY_MS = 400;
type DraftFile = OutboxFile & { bytes: Uint8Array };

export const publishDraftKey = (owner: string, classId: string) => `publish/${owner}/${classId}`;

function Preview(props: { body: string; attachments: FileRef[] }): JSX.Element {
  const [html, setHtml] = useState<string | undefined>();
  useEffect(() => {
    let live = true;
    const render = async () => {
      const { renderLessonHtml } = await import('../LessonView/markdown.ts');
      if (live) setHtml(renderLessonHtml(props.body, props.attachments).html);
    };
    render().catch(() => undefined);
    return () => {
      live = false;
    };
  }, [props.body, props.attachments]);
  // Sanitised by DOMPurify (LessonView/markdown.ts), as pupils will see it.
  // biome-ignore lint/security/noDangerouslySetInnerHtml: sanitised above
  return <div class="lesson-body preview" dangerouslySetInnerHTML={{ __html: html ?? '' }} />;
}

/** A labelled text field of the form (an input, a date-time or a text area), changed as the teacher types. */
function Field(props: {
  label: string;
  value: string;
  onValue: (value: string) => void;
  kind?: 'text' | 'datetime' | 'area';
  rows?: number;
}): JSX.Element {
  const onInput = (e: Event) => props.onValue((e.currentTarget as HTMLInputElement | HTMLTextAreaElement).value);
  return (
    <label>
      {props.label}
      {props.kind === 'area' ? (
        <textarea rows={props.rows ?? 4} value={props.value} onInput={onInput} />
      ) : props.kind === 'datetime' ? (
        <input type="datetime-local" value={props.value} onInput={onInput} />
      ) : (
        <input type="text" value={props.value} onInput={onInput} />
      )}
    </label>
  );
}

export function PublishView(props: { services: Services; session: ActiveSession; klass: ClassView }): JSX.Element {
  const { t, locale } = useI18n();
  const { services, session, klass } = props;
  const key = publishDraftKey(session.user.id, klass.id);
  const current = isoWeekAt(Date.now(), klass.timeZone);
  const [draft, setDraft] = useState<PublishDraft | undefined>();
  const [files, setFiles] = useState<Map<string, DraftFile>>(new Map());
  const [previewing, setPreviewing] = useState<Set<string>>(new Set());
  const [message, setMessage] = useState<{ role: 'status' | 'alert'; text: string } | undefined>();
  const saveTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const heading = useRef<HTMLHeadingElement>(null);
  // The latest draft and files, for handlers that finish after an await (reading picked files): they must build on
  // what is on screen then, not on what was there when they started.
  const latest = useRef<{ draft: PublishDraft | undefined; files: Map<string, DraftFile> }>({
    draft: undefined,
    files: new Map(),
  });
  const publications = useOutboxView().items.filter((i) => i.publication && i.classId === klass.id);

  useEffect(() => {
    let live = true;
    const load = async () => {
      const saved = await services.drafts.get(key);
      if (!live) return;
      const loaded = saved ? (JSON.parse(saved.text) as PublishDraft) : emptyDraft(current);
      const loadedFiles = new Map(
        (saved?.files ?? []).map((f) => [f.sha256, { ...f, bytes: new Uint8Array(f.bytes) }] as const),
      );
      latest.current = { draft: loaded, files: loadedFiles };
      setDraft(loaded);
      setFiles(loadedFiles);
      heading.current?.focus();
    };
    load().catch(() => live && setDraft(emptyDraft(current)));
    return () => {
      live = false;
      clearTimeout(saveTimer.current);
    };
  }, [services, key]);

  const save = (next: PublishDraft, nextFiles: Map<string, DraftFile>) => {
    latest.current = { draft: next, files: nextFiles };
    setDraft(next);
    setFiles(nextFiles);
    clearTimeout(saveTimer.current);
    saveTimer.current = setTimeout(() => {
      const record = {
        key,
        owner: session.user.id,
        text: JSON.stringify(next),
        files: [...nextFiles.values()].map(({ bytes, ...ref }) => ({ ...ref, bytes: bytes.slice().buffer })),
        updatedAt: Date.now(),
      };
      services.drafts
        .save(record)
        // A saved draft does not hide a problem the teacher has not fixed yet.
        .then(() => setMessage((m) => (m?.role === 'alert' ? m : { role: 'status', text: t('publish.draftSaved') })))
        .catch(() => setMessage({ role: 'alert', text: t('publish.draftFailed') }));
    }, DRAFT_DELAY_MS);
  };

  if (!draft) return <p aria-busy="true">{t('app.loading')}</p>;
  const change = (patch: Partial<PublishDraft>) => save({ ...draft, ...patch }, files);
  const changeLesson = (id: string, patch: Partial<PublishDraft['lessons'][number]>) =>
    change({ lessons: draft.lessons.map((l) => (l.id === id ? { ...l, ...patch } : l)) });
  const changeAssignment = (id: string, patch: Partial<PublishDraft['assignments'][number]>) =>
    change({ assignments: draft.assignments.map((a) => (a.id === id ? { ...a, ...patch } : a)) });

  const onPick = async (lessonId: string, input: HTMLInputElement) => {
    const refused: string[] = [];
    const added: DraftFile[] = [];
    const picked: string[] = [];
    for (const file of Array.from(input.files ?? [])) {
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
      picked.push(sha256);
      // Also in the device's lesson files: the preview shows it, and after publishing it is already here.
      await services.files.put({ sha256, type: file.type, bytes });
    }
    input.value = '';
    const now = latest.current;
    if (now.draft?.lessons.some((l) => l.id === lessonId)) {
      const next = new Map(now.files);
      for (const f of added) next.set(f.sha256, f);
      const lessons = now.draft.lessons.map((l) =>
        l.id === lessonId ? { ...l, files: [...new Set([...l.files, ...picked])] } : l,
      );
      save({ ...now.draft, lessons }, next);
    }
    setMessage(refused.length > 0 ? { role: 'alert', text: refused.join(' ') } : undefined);
  };

  const loadPublished = async () => {
    const installed = await services.weeks.get(klass.id, draft.week);
    if (!installed) {
      setMessage({ role: 'alert', text: t('publish.noPublished') });
      return;
    }
    const next = new Map(latest.current.files);
    for (const lesson of installed.manifest.lessons) {
      for (const a of lesson.attachments) {
        const stored = await services.files.get(a.sha256);
        if (stored)
          next.set(a.sha256, { sha256: a.sha256, name: a.name, type: a.type, size: a.size, bytes: stored.bytes });
      }
    }
    save(draftFromManifest(installed.manifest, klass.timeZone), next);
    setMessage({ role: 'status', text: t('publish.loaded', { version: installed.manifest.version }) });
  };

  const problemText = (p: DraftProblem) =>
    'lesson' in p ? t(p.key, { n: p.lesson }) : 'assignment' in p ? t(p.key, { n: p.assignment }) : t(p.key);

  const onPublish = async (e: SubmitEvent) => {
    e.preventDefault();
    const built = toPublication(draft, files, klass.timeZone);
    if ('problems' in built) {
      setMessage({ role: 'alert', text: built.problems.map(problemText).join(' ') });
      return;
    }
    clearTimeout(saveTimer.current);
    const item: OutboxItem = {
      id: crypto.randomUUID(),
      owner: session.user.id,
      classId: klass.id,
      week: draft.week,
      assignmentId: 'publication',
      assignmentTitle: t('publish.itemTitle', { monday: formatDay(mondayOfIsoWeek(draft.week), locale) }),
      text: built.body.lessons.map((l) => l.title).join(' · '),
      files: built.files,
      submittedAt: new Date().toISOString(),
      createdAt: Date.now(),
      state: 'pending',
      attempts: 0,
      publication: built.body,
    };
    try {
      const stored = built.files.flatMap((f) => {
        const bytes = files.get(f.sha256)?.bytes;
        return bytes ? [{ sha256: f.sha256, type: f.type, bytes }] : [];
      });
      await services.drafts.submit(key, item, stored);
      setDraft(emptyDraft(draft.week));
      setFiles(new Map());
      setMessage({ role: 'status', text: t('publish.queued') });
      services.events.dispatchEvent(new Event('outbox-changed'));
      void services.runner.kick().catch(() => undefined);
      void requestOutboxSync(OUTBOX_SYNC_TAG).catch(() => undefined);
    } catch {
      setMessage({ role: 'alert', text: t('publish.draftFailed') });
    }
  };

  const stateText = (i: OutboxItem): string => {
    if (i.state === 'received') return t('publish.done', { version: i.published?.version ?? 0 });
    if (i.state === 'refused' || i.state === 'conflict')
      return t('outbox.refused', { reason: i.refusal?.message ?? '' });
    return t(i.state === 'sending' ? 'outbox.sending' : 'outbox.pending');
  };

  const weeks = [0, 1, 2].map((n) => addWeeks(current, n));
  return (
    <form onSubmit={(e) => void onPublish(e)} class="publish">
      <h1 tabIndex={-1} ref={heading}>
        {t('publish.title')}
      </h1>
      <p>
        <label for="publish-week">{t('publish.week')}</label>{' '}
        <select id="publish-week" value={draft.week} onChange={(e) => change({ week: e.currentTarget.value })}>
          {weeks.map((w) => (
            <option key={w} value={w}>
              {t('publish.weekOf', { monday: formatDay(mondayOfIsoWeek(w), locale) })}
            </option>
          ))}
        </select>{' '}
        <button type="button" class="link-button" onClick={() => void loadPublished()}>
          {t('publish.loadPublished')}
        </button>
      </p>
      <p role={message?.role ?? 'status'} class={message?.role === 'alert' ? 'error' : 'meta'}>
        {message?.text}
      </p>

      <h2>{t('week.lessons')}</h2>
      {draft.lessons.map((lesson, i) => {
        const attachments = lesson.files.flatMap((sha) => {
          const f = files.get(sha);
          return f ? [{ sha256: sha, name: f.name, type: f.type, size: f.size }] : [];
        });
        const showing = previewing.has(lesson.id);
        return (
          <fieldset key={lesson.id} class="card">
            <legend>{t('publish.lessonN', { n: i + 1 })}</legend>
            <p>
              <Field
                label={t('publish.lessonTitle')}
                value={lesson.title}
                onValue={(title) => changeLesson(lesson.id, { title })}
              />
            </p>
            <p>
              <Field
                kind="area"
                rows={8}
                label={t('publish.lessonBody')}
                value={lesson.body}
                onValue={(body) => changeLesson(lesson.id, { body })}
              />
            </p>
            <p>
              <button
                type="button"
                aria-pressed={showing}
                onClick={() => {
                  const next = new Set(previewing);
                  if (showing) next.delete(lesson.id);
                  else next.add(lesson.id);
                  setPreviewing(next);
                }}
              >
                {t(showing ? 'publish.hidePreview' : 'publish.preview')}
              </button>
            </p>
            {showing && <Preview body={lesson.body} attachments={attachments} />}
            <ul>
              {attachments.map((a) => (
                <li key={a.sha256}>
                  {a.name} ({formatSize(a.size, t, locale)}){' '}
                  <button
                    type="button"
                    class="link-button"
                    onClick={() => changeLesson(lesson.id, { files: lesson.files.filter((s) => s !== a.sha256) })}
                  >
                    {t('publish.removeFile', { name: a.name })}
                  </button>
                </li>
              ))}
            </ul>
            <p>
              <label class="file-button">
                {t('publish.attach')}
                <input
                  type="file"
                  multiple
                  accept={[...LESSON_FILE_TYPES, ...Object.keys(LESSON_TYPE_ALIASES)].join(',')}
                  onChange={(e) => void onPick(lesson.id, e.currentTarget)}
                />
              </label>{' '}
              <span class="meta">{t('publish.attachHint')}</span>
            </p>
            {draft.lessons.length > 1 && (
              <button
                type="button"
                onClick={() => change({ lessons: draft.lessons.filter((l) => l.id !== lesson.id) })}
              >
                {t('publish.removeLesson')}
              </button>
            )}
          </fieldset>
        );
      })}
      <p>
        <button
          type="button"
          onClick={() =>
            change({ lessons: [...draft.lessons, { id: newId('lecon'), title: '', body: '', files: [] }] })
          }
        >
          {t('publish.addLesson')}
        </button>
      </p>

      <h2>{t('week.assignments')}</h2>
      {draft.assignments.map((a, i) => (
        <fieldset key={a.id} class="card">
          <legend>{t('publish.assignmentN', { n: i + 1 })}</legend>
          <p>
            <Field
              label={t('publish.assignmentTitle')}
              value={a.title}
              onValue={(title) => changeAssignment(a.id, { title })}
            />
          </p>
          <p>
            <Field
              kind="area"
              label={t('publish.instructions')}
              value={a.instructions}
              onValue={(instructions) => changeAssignment(a.id, { instructions })}
            />
          </p>
          <p>
            <Field
              kind="datetime"
              label={t('publish.due')}
              value={a.due}
              onValue={(due) => changeAssignment(a.id, { due })}
            />
          </p>
          <button type="button" onClick={() => change({ assignments: draft.assignments.filter((x) => x.id !== a.id) })}>
            {t('publish.removeAssignment')}
          </button>
        </fieldset>
      ))}
      <p>
        <button
          type="button"
          onClick={() =>
            change({
              assignments: [...draft.assignments, { id: newId('devoir'), title: '', instructions: '', due: '' }],
            })
          }
        >
          {t('publish.addAssignment')}
        </button>
      </p>

      <p>
        <Field
          kind="datetime"
          label={t('publish.release')}
          value={draft.releaseAt}
          onValue={(releaseAt) => change({ releaseAt })}
        />{' '}
        <span class="meta">{t('publish.releaseHint')}</span>
      </p>
      <p>
        <button type="submit" class="primary">
          {t('publish.submit')}
        </button>
      </p>

      {publications.length > 0 && (
        <section aria-labelledby="publications-title">
          <h2 id="publications-title">{t('publish.history')}</h2>
          <ul>
            {publications.map((i) => (
              <li key={i.id} data-state={i.state}>
                {i.assignmentTitle} — {stateText(i)}
              </li>
            ))}
          </ul>
        </section>
      )}
    </form>
  );
}
