/**
 * A returned copy as its pupil reads it, from the device (no network needed): the teacher's comment (Markdown,
 * sanitised like lessons), the assessment, when it was returned. Showing it queues the read mark ("vu").
 */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { Assessment, FeedbackView, SubmittedFile } from '../../protocol/schemas.ts';
import { formatDue, formatSize } from '../format.ts';
import { useI18n } from '../i18n/index.ts';
import type { Translate } from '../i18n/index.ts';

/** The assessment in words: "Acquis", "Note : 8 / 10"; nothing for none. */
export function assessmentWords(a: Assessment, t: Translate): string {
  if (a.kind === 'level') return t(`feedback.level.${a.level}`);
  if (a.kind === 'mark') return t('feedback.mark', { mark: a.mark, outOf: a.outOf });
  return '';
}

export function FeedbackPanel(props: {
  given: FeedbackView;
  timeZone: string;
  onShown: (given: FeedbackView) => void;
  /** A returned file's bytes from the device; undefined when it is not here yet. */
  openFile: (sha256: string) => Promise<Uint8Array | undefined>;
}): JSX.Element {
  const { t, locale } = useI18n();
  const { given, onShown } = props;
  const [html, setHtml] = useState<string | undefined>();
  const [absent, setAbsent] = useState<string | undefined>();
  const open = async (file: SubmittedFile) => {
    const bytes = await props.openFile(file.sha256).catch(() => undefined);
    if (!bytes) return setAbsent(file.sha256);
    setAbsent(undefined);
    const url = URL.createObjectURL(new Blob([bytes.slice().buffer], { type: file.type }));
    Object.assign(document.createElement('a'), { href: url, download: file.name }).click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  };
  useEffect(() => {
    let live = true;
    void import('../LessonView/markdown.ts')
      .then(({ renderLessonHtml }) => live && setHtml(renderLessonHtml(given.comment, []).html))
      .catch(() => undefined);
    onShown(given);
    return () => {
      live = false;
    };
  }, [given, onShown]);
  const words = assessmentWords(given.assessment, t);
  const when = formatDue(given.returnedAt, locale, props.timeZone);
  return (
    <section class="card feedback" aria-labelledby={`feedback-${given.feedbackId}`} data-testid="feedback">
      <h2 id={`feedback-${given.feedbackId}`}>
        <span class="badge">{t('feedback.badge')}</span> {t('feedback.title')}
      </h2>
      <p class="meta">
        {given.version > 1
          ? t('feedback.correctedAgain', { version: given.version, date: when })
          : t('feedback.returnedAt', { date: when })}
      </p>
      {words && <p class="assessment">{words}</p>}
      {/* Sanitised by DOMPurify in markdown.ts; the CSP forbids inline script besides. */}
      {given.files.length > 0 && (
        <ul class="picked">
          {given.files.map((f) => (
            <li key={f.sha256}>
              <button type="button" onClick={() => void open(f)}>
                {t('feedback.openFile', { name: f.name, size: formatSize(f.size, t, locale) })}
              </button>
              {absent === f.sha256 && <span class="meta"> {t('feedback.fileNotHere')}</span>}
            </li>
          ))}
        </ul>
      )}
      {html === undefined ? (
        <p class="answer">{given.comment}</p>
      ) : (
        <div class="lesson-body" dangerouslySetInnerHTML={{ __html: html }} />
      )}
    </section>
  );
}
