/**
 * One item of the week edited at a time: a lesson (title, Markdown with its live preview, attached files) or an
 * assignment (title, instructions, due date on the school's clock). Pure views of the draft: changes go up.
 */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { LESSON_FILE_TYPES, LESSON_TYPE_ALIASES } from '../../protocol/lesson-files.ts';
import type { FileRef } from '../../protocol/schemas.ts';
import { formatSize } from '../format.ts';
import { useI18n } from '../i18n/index.ts';
import type { DraftAssignment, DraftLesson } from './publish-draft.ts';

/** The lesson as pupils will see it, rendered and sanitised by the same code as the lesson screen. */
export function Preview(props: { body: string; attachments: FileRef[] }): JSX.Element {
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

const valueOf = (e: Event) => (e.currentTarget as HTMLInputElement | HTMLTextAreaElement).value;

/** A labelled field stacked over its input, full width. */
function Field(props: { id: string; label: string; hint?: string; children: JSX.Element }): JSX.Element {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      {props.children}
      {props.hint && <p class="meta">{props.hint}</p>}
    </div>
  );
}

function TitleField(props: { id: string; label: string; value: string; onValue: (value: string) => void }) {
  return (
    <Field id={`title-${props.id}`} label={props.label}>
      <input id={`title-${props.id}`} type="text" value={props.value} onInput={(e) => props.onValue(valueOf(e))} />
    </Field>
  );
}

/** Markdown typed on one side, the text as pupils will see it on the other (below it on a narrow screen). */
function MarkdownField(props: {
  id: string;
  label: string;
  rows: number;
  value: string;
  attachments: FileRef[];
  onValue: (value: string) => void;
}): JSX.Element {
  const { t } = useI18n();
  return (
    <div class="markdown-editor">
      <Field id={props.id} label={props.label} hint={t('publish.markdownHint')}>
        <textarea id={props.id} rows={props.rows} value={props.value} onInput={(e) => props.onValue(valueOf(e))} />
      </Field>
      <div class="field">
        <p class="preview-label" id={`preview-${props.id}`}>
          {t('publish.preview')}
        </p>
        <div aria-labelledby={`preview-${props.id}`} role="region">
          <Preview body={props.value} attachments={props.attachments} />
        </div>
      </div>
    </div>
  );
}

export function LessonEditor(props: {
  lesson: DraftLesson;
  attachments: FileRef[];
  onChange: (patch: Partial<DraftLesson>) => void;
  /** Files picked or dropped on the lesson. */
  onFiles: (files: File[]) => void;
  onRemove: () => void;
}): JSX.Element {
  const { t, locale } = useI18n();
  const { lesson } = props;
  return (
    <section class="item-editor" aria-labelledby={`editing-${lesson.id}`}>
      <h2 id={`editing-${lesson.id}`}>{lesson.title.trim() || t('publish.untitledLesson')}</h2>
      <TitleField
        id={lesson.id}
        label={t('publish.lessonTitle')}
        value={lesson.title}
        onValue={(title) => props.onChange({ title })}
      />
      <MarkdownField
        id={`body-${lesson.id}`}
        label={t('publish.lessonBody')}
        rows={16}
        value={lesson.body}
        attachments={props.attachments}
        onValue={(body) => props.onChange({ body })}
      />
      <h3>{t('publish.files')}</h3>
      {props.attachments.length === 0 ? (
        <p class="meta">{t('publish.noFiles')}</p>
      ) : (
        <ul class="picked">
          {props.attachments.map((a) => (
            <li key={a.sha256}>
              <span>
                {a.name} <span class="meta">({formatSize(a.size, t, locale)})</span>
              </span>{' '}
              <button
                type="button"
                class="link-button"
                onClick={() => props.onChange({ files: lesson.files.filter((s) => s !== a.sha256) })}
              >
                {t('publish.removeFile', { name: a.name })}
              </button>
            </li>
          ))}
        </ul>
      )}
      {/* Files dropped anywhere here are attached, as if picked. */}
      <div
        class="drop-zone"
        data-testid="drop-zone"
        onDragOver={(e) => e.preventDefault()}
        onDrop={(e) => {
          e.preventDefault();
          props.onFiles(Array.from(e.dataTransfer?.files ?? []));
        }}
      >
        <label class="file-button">
          {t('publish.attach')}
          <input
            type="file"
            multiple
            accept={[...LESSON_FILE_TYPES, ...Object.keys(LESSON_TYPE_ALIASES)].join(',')}
            onChange={(e) => {
              const input = e.currentTarget;
              props.onFiles(Array.from(input.files ?? []));
              input.value = '';
            }}
          />
        </label>{' '}
        <span class="meta">{t('publish.attachHint')}</span>
      </div>
      <p class="item-actions">
        <button type="button" class="danger" onClick={props.onRemove}>
          {t('publish.removeLesson')}
        </button>
      </p>
    </section>
  );
}

export function AssignmentEditor(props: {
  assignment: DraftAssignment;
  timeZone: string;
  onChange: (patch: Partial<DraftAssignment>) => void;
  onRemove: () => void;
}): JSX.Element {
  const { t } = useI18n();
  const { assignment: a } = props;
  return (
    <section class="item-editor" aria-labelledby={`editing-${a.id}`}>
      <h2 id={`editing-${a.id}`}>{a.title.trim() || t('publish.untitledAssignment')}</h2>
      <TitleField
        id={a.id}
        label={t('publish.assignmentTitle')}
        value={a.title}
        onValue={(title) => props.onChange({ title })}
      />
      <MarkdownField
        id={`instructions-${a.id}`}
        label={t('publish.instructions')}
        rows={10}
        value={a.instructions}
        attachments={[]}
        onValue={(instructions) => props.onChange({ instructions })}
      />
      <Field id={`due-${a.id}`} label={t('publish.due')} hint={t('publish.timeZone', { zone: props.timeZone })}>
        <input
          id={`due-${a.id}`}
          type="datetime-local"
          value={a.due}
          onInput={(e) => props.onChange({ due: valueOf(e) })}
        />
      </Field>
      <p class="item-actions">
        <button type="button" class="danger" onClick={props.onRemove}>
          {t('publish.removeAssignment')}
        </button>
      </p>
    </section>
  );
}
