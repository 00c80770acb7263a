/** One lesson: its Markdown, images inline, the PDF to open and the audio to play, all from the device. */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { fileUrl } from '../../protocol/paths.ts';
import type { FileRef, Lesson } from '../../protocol/schemas.ts';
import { formatSize } from '../format.ts';
import { useI18n } from '../i18n/index.ts';
import { Link } from '../router.tsx';
import { LESSON_VISIBLE_MARK } from '../marks.ts';
import type { Services } from '../services.ts';

type Loaded = { lesson: Lesson; html: string; inlined: Set<string> } | 'missing' | undefined;

function Attachment(props: { file: FileRef }): JSX.Element {
  const { t, locale } = useI18n();
  const { file } = props;
  const size = formatSize(file.size, t, locale);
  const url = fileUrl(file.sha256);
  if (file.type.startsWith('image/')) return <img src={url} alt={file.name} loading="lazy" />;
  if (file.type.startsWith('audio/')) {
    return (
      <figure>
        <figcaption>{t('lesson.audio', { name: file.name })}</figcaption>
        <audio controls preload="metadata" src={url} aria-label={t('lesson.audio', { name: file.name })} />
      </figure>
    );
  }
  if (file.type === 'application/pdf') {
    return (
      <a href={url} target="_blank" rel="noopener" type="application/pdf" class="file">
        {t('lesson.openPdf', { name: file.name, size })}
      </a>
    );
  }
  return (
    <a href={url} download={file.name} class="file">
      {t('lesson.download', { name: file.name, size })}
    </a>
  );
}

export function LessonView(props: {
  services: Services;
  classId: string;
  week: string;
  lessonId: string;
}): JSX.Element {
  const { t } = useI18n();
  const [loaded, setLoaded] = useState<Loaded>();

  useEffect(() => {
    let live = true;
    const load = async () => {
      const installed = await props.services.weeks.get(props.classId, props.week);
      const lesson = installed?.manifest.lessons.find((l) => l.id === props.lessonId);
      if (!lesson) return 'missing' as const;
      const { renderLessonHtml } = await import('./markdown.ts');
      return { lesson, ...renderLessonHtml(lesson.body, lesson.attachments) };
    };
    const show = async () => {
      const result = await load().catch(() => 'missing' as const);
      if (live) setLoaded(result);
    };
    void show();
    return () => {
      live = false;
    };
  }, [props.services, props.classId, props.week, props.lessonId]);

  useEffect(() => {
    if (loaded === undefined) return;
    document.querySelector<HTMLElement>('#lesson-title')?.focus();
    if (loaded !== 'missing') performance.mark(LESSON_VISIBLE_MARK);
  }, [loaded]);

  if (loaded === undefined) return <p aria-busy="true">{t('app.loading')}</p>;
  const back = (
    <p>
      <Link href="/">← {t('lesson.back')}</Link>
    </p>
  );
  if (loaded === 'missing') {
    return (
      <>
        <h1 id="lesson-title" tabIndex={-1}>
          {t('lesson.notFound')}
        </h1>
        {back}
      </>
    );
  }
  const others = loaded.lesson.attachments.filter((a) => !loaded.inlined.has(a.sha256));
  return (
    <article>
      {back}
      <h1 id="lesson-title" tabIndex={-1}>
        {loaded.lesson.title}
      </h1>
      {/* Sanitised by DOMPurify in markdown.ts; the CSP forbids inline script besides. */}
      <div class="lesson-body" dangerouslySetInnerHTML={{ __html: loaded.html }} />
      {others.length > 0 && (
        <section aria-labelledby="attachments-title">
          <h2 id="attachments-title">{t('lesson.attachments')}</h2>
          <ul class="attachments">
            {others.map((file) => (
              <li key={file.sha256}>
                <Attachment file={file} />
              </li>
            ))}
          </ul>
        </section>
      )}
    </article>
  );
}
