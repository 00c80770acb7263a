/**
 * The teacher's view of an assignment: every pupil of the class, what they handed in (text and files), when they
 * wrote it on their device and when the server received it, late work marked, and every conflicting version.
 */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { AssignmentSubmissionsReply, SubmissionVersion, SubmittedFile } from '../../protocol/schemas.ts';
import type { AssignmentScreenProps } from '../AssignmentView/index.tsx';
import { formatDue, formatSize } from '../format.ts';
import { useI18n } from '../i18n/index.ts';
import { Link } from '../router.tsx';
import type { ActiveSession } from '../session.ts';
import { useFocusOnMount } from '../use-focus.ts';

type Loaded = AssignmentSubmissionsReply | 'offline' | 'missing' | undefined;

/** Fetches a submitted file with the teacher's token and hands it to the browser as a download. */
async function download(session: ActiveSession, submissionId: string, file: SubmittedFile): Promise<void> {
  const res = await session.send({ method: 'GET', path: `/api/submissions/${submissionId}/files/${file.sha256}` });
  if (res.status !== 200) throw new Error(`download answered ${res.status}`);
  const url = URL.createObjectURL(new Blob([res.body.slice().buffer], { type: file.type }));
  const a = Object.assign(document.createElement('a'), { href: url, download: file.name });
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function Version(props: {
  v: SubmissionVersion;
  timeZone: string;
  onDownload: (f: SubmittedFile) => void;
}): JSX.Element {
  const { t, locale } = useI18n();
  const { v } = props;
  const when = (iso: string) => formatDue(iso, locale, props.timeZone);
  return (
    <div class="outbox-item" data-conflict={v.conflict}>
      <p class="meta">
        {t('teacher.submittedAt', { date: when(v.submittedAt) })} ·{' '}
        {t('teacher.receivedAt', { date: when(v.receivedAt) })}
      </p>
      {v.late && <p class="state refused">{t('teacher.late')}</p>}
      {v.conflict && <p class="state pending">{t('teacher.conflict')}</p>}
      {v.text && <p class="answer">{v.text}</p>}
      {v.files.length > 0 && (
        <ul class="picked">
          {v.files.map((f) => (
            <li key={f.sha256}>
              <button type="button" onClick={() => props.onDownload(f)}>
                {t('teacher.download', { name: f.name })} ({formatSize(f.size, t, locale)})
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function SubmissionsView(props: AssignmentScreenProps): JSX.Element {
  const { t } = useI18n();
  const heading = useFocusOnMount<HTMLHeadingElement>();
  const [loaded, setLoaded] = useState<Loaded>();
  const { session, klass, week, assignmentId } = props;

  useEffect(() => {
    let live = true;
    const load = async (): Promise<Loaded> => {
      const res = await session.send({
        method: 'GET',
        path: `/api/classes/${klass.id}/weeks/${week}/assignments/${assignmentId}/submissions`,
      });
      if (res.status !== 200) return 'missing';
      return JSON.parse(new TextDecoder().decode(res.body)) as AssignmentSubmissionsReply;
    };
    void load()
      .catch((): Loaded => 'offline')
      .then((result) => live && setLoaded(result));
    return () => {
      live = false;
    };
  }, [session, klass.id, week, assignmentId]);

  const back = (
    <p>
      <Link href="/">← {t('lesson.back')}</Link>
    </p>
  );
  if (loaded === undefined) return <p aria-busy="true">{t('app.loading')}</p>;
  if (loaded === 'offline' || loaded === 'missing') {
    return (
      <>
        {back}
        <h1 tabIndex={-1} ref={heading}>
          {loaded === 'offline' ? t('teacher.needsNetwork') : t('assignment.notFound')}
        </h1>
      </>
    );
  }
  const done = loaded.pupils.filter((p) => p.submissions.length > 0).length;
  const onDownload = (id: string) => (f: SubmittedFile) => void download(session, id, f).catch(() => undefined);
  return (
    <article>
      {back}
      <h1 tabIndex={-1} ref={heading}>
        {t('teacher.title', { title: loaded.title })}
      </h1>
      <p class="subtitle">{t('teacher.count', { done, total: loaded.pupils.length })}</p>
      <ul class="cards">
        {loaded.pupils.map((pupil) => (
          <li key={pupil.pupilId} class="card">
            <h2 class="item-title">{pupil.displayName}</h2>
            {pupil.submissions.length === 0 ? (
              <p class="meta">{t('teacher.none')}</p>
            ) : (
              pupil.submissions.map((v) => (
                <Version
                  key={`${v.submissionId}-${v.receivedAt}-${v.text.length}`}
                  v={v}
                  timeZone={klass.timeZone}
                  onDownload={onDownload(v.submissionId)}
                />
              ))
            )}
          </li>
        ))}
      </ul>
    </article>
  );
}
