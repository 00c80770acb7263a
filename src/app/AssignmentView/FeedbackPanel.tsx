/**
 * A returned copy as its pupil reads it, from the device (no network needed): the teacher's comment (Markdown,
 * sanitised like lessons), the assessment, when it was returned. Showing it queues the read mark ("vu").
 */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { Assessment, FeedbackView } from '../../protocol/schemas.ts';
import { formatDue } from '../format.ts';
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
}): JSX.Element {
  const { t, locale } = useI18n();
  const { given, onShown } = props;
  const [html, setHtml] = useState<string | undefined>();
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
      {html === undefined ? (
        <p class="answer">{given.comment}</p>
      ) : (
        <div class="lesson-body" dangerouslySetInnerHTML={{ __html: html }} />
      )}
    </section>
  );
}
