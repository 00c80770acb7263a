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
      <Field id={`title-${lesson.id}`} label={t('publish.lessonTitle')}>
        <input
          id={`title-${lesson.id}`}
          type="text"
          value={lesson.title}
          onInput={(e) => props.onChange({ title: valueOf(e) })}
        />
      </Field>
      <div class="markdown-editor">
        <Field id={`body-${lesson.id}`} label={t('publish.lessonBody')} hint={t('publish.markdownHint')}>
          <textarea
            id={`body-${lesson.id}`}
            rows={16}
            value={lesson.body}
            onInput={(e) => props.onChange({ body: valueOf(e) })}
          />
        </Field>
        <div class="field">
          <p class="preview-label" id={`preview-${lesson.id}`}>
            {t('publish.preview')}
          </p>
          <div aria-labelledby={`preview-${lesson.id}`} role="region">
            <Preview body={lesson.body} attachments={props.attachments} />
          </div>
        </div>
      </div>
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
      <Field id={`title-${a.id}`} label={t('publish.assignmentTitle')}>
        <input
          id={`title-${a.id}`}
          type="text"
          value={a.title}
          onInput={(e) => props.onChange({ title: valueOf(e) })}
        />
      </Field>
      <div class="markdown-editor">
        <Field id={`instructions-${a.id}`} label={t('publish.instructions')} hint={t('publish.markdownHint')}>
          <textarea
            id={`instructions-${a.id}`}
            rows={10}
            value={a.instructions}
            onInput={(e) => props.onChange({ instructions: valueOf(e) })}
          />
        </Field>
        <div class="field">
          <p class="preview-label" id={`preview-${a.id}`}>
            {t('publish.preview')}
          </p>
          <div aria-labelledby={`preview-${a.id}`} role="region">
            <Preview body={a.instructions} attachments={[]} />
          </div>
        </div>
      </div>
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
