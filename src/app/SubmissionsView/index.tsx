/**
 * The teacher's view of an assignment: every pupil of the class, what they handed in (text and files), when they
 * wrote it on their device and when the server received it, late work marked, and every conflicting version.
 */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type {
  Assessment,
  AssignmentSubmissionsReply,
  SubmissionVersion,
  SubmittedFile,
} from '../../protocol/schemas.ts';
import { kindOf, type OutboxFile, type OutboxItem, type StoredFile } from '../../sync/ports.ts';
import { isHomeworkFileType, MAX_HOMEWORK_FILE_BYTES } from '../../protocol/homework-files.ts';
import { CopiesStore, copiesKey } from '../../storage/copies-store.ts';
import { dbSealing } from '../../storage/record-sealing.ts';
import { assessmentWords } from '../AssignmentView/FeedbackPanel.tsx';
import { useOutboxView } from '../outbox-context.tsx';
import type { Services } from '../services.ts';
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

/** What the teacher is choosing in the form: the kind of assessment and its fields as typed. */
interface AssessmentChoice {
  kind: Assessment['kind'];
  level: 'acquis' | 'en_cours' | 'non_acquis';
  mark: string;
  outOf: string;
}

const choiceOf = (a: Assessment | undefined): AssessmentChoice => ({
  kind: a?.kind ?? 'none',
  level: a?.kind === 'level' ? a.level : 'acquis',
  mark: a?.kind === 'mark' ? String(a.mark) : '',
  outOf: a?.kind === 'mark' ? String(a.outOf) : '20',
});

/** The assessment chosen, or a reason it cannot be sent. */
function assessmentOf(c: AssessmentChoice): Assessment | 'badMark' {
  if (c.kind === 'none') return { kind: 'none' };
  if (c.kind === 'level') return { kind: 'level', level: c.level };
  const mark = Number(c.mark.replace(',', '.'));
  const outOf = Number(c.outOf);
  if (!Number.isFinite(mark) || !Number.isInteger(outOf) || outOf < 1 || mark < 0 || mark > outOf) return 'badMark';
  return { kind: 'mark', mark, outOf };
}

/**
 * The teacher's return of one copy: what was returned and whether the pupil saw it, a return still queued on this
 * device, and the form ("Rendre la copie", or "Corriger le retour", which makes a new version). The return goes
 * through the outbox like every write: written offline, it leaves when the server answers.
 */
function ReturnForm(props: {
  services: Services;
  owner: string;
  v: SubmissionVersion;
  pupilName: string;
  title: string;
  klass: { id: string; timeZone: string };
  week: string;
  assignmentId: string;
  queued: OutboxItem[];
  /** The assessment of the assignment's other returns: a scale chosen once for the assignment carries to each copy. */
  usual: Assessment | undefined;
}): JSX.Element {
  const { t, locale } = useI18n();
  const { v } = props;
  const given = v.feedback;
  const [comment, setComment] = useState(given?.comment ?? '');
  const [choice, setChoice] = useState<AssessmentChoice>(() => {
    const start = choiceOf(given?.assessment ?? props.usual);
    // The scale, not another pupil's mark.
    return given ? start : { ...start, mark: '' };
  });
  const [notice, setNotice] = useState<
    'feedback.queued' | 'feedback.badMark' | 'feedback.empty' | 'reason.unsupported_media_type' | undefined
  >();
  const [attached, setAttached] = useState<{ ref: OutboxFile; stored: StoredFile } | undefined>();
  const onAttach = async (e: Event) => {
    const input = e.currentTarget as HTMLInputElement;
    const picked = input.files?.[0];
    if (!picked) return setAttached(undefined);
    if (!isHomeworkFileType(picked.type) || picked.size > MAX_HOMEWORK_FILE_BYTES) {
      input.value = '';
      return setNotice('reason.unsupported_media_type');
    }
    const bytes = new Uint8Array(await picked.arrayBuffer());
    const sha256 = await props.services.hasher.sha256Hex(bytes);
    setAttached({
      ref: { sha256, name: picked.name, type: picked.type, size: bytes.byteLength },
      stored: { sha256, type: picked.type, bytes },
    });
  };
  // "Saved on this device" holds until the server has it: once the page shows it returned, it is old news.
  useEffect(() => setNotice(undefined), [given?.feedbackId]);
  const when = (iso: string) => formatDue(iso, locale, props.klass.timeZone);
  const waitingHere = props.queued.filter((i) => i.state === 'pending' || i.state === 'sending');
  const id = `return-${v.submissionId}`;
  const onSubmit = async (e: SubmitEvent) => {
    e.preventDefault();
    const assessment = assessmentOf(choice);
    if (assessment === 'badMark') return setNotice('feedback.badMark');
    if (comment.trim() === '' && assessment.kind === 'none') return setNotice('feedback.empty');
    const now = new Date();
    const item: OutboxItem = {
      id: crypto.randomUUID(),
      kind: 'feedback',
      owner: props.owner,
      classId: props.klass.id,
      week: props.week,
      assignmentId: props.assignmentId,
      assignmentTitle: props.title,
      text: comment,
      // The annotated copy travels like homework files: uploaded first by the outbox, then named in the return.
      files: attached ? [attached.ref] : [],
      submittedAt: now.toISOString(),
      createdAt: now.getTime(),
      state: 'pending',
      attempts: 0,
      feedback: {
        submissionId: v.submissionId,
        pupilName: props.pupilName,
        comment,
        assessment,
        writtenAt: now.toISOString(),
      },
    };
    await props.services.outbox.add(item, attached ? [attached.stored] : []);
    props.services.events.dispatchEvent(new Event('outbox-changed'));
    setAttached(undefined);
    setNotice('feedback.queued');
    void props.services.runner.kick().catch(() => undefined);
  };
  return (
    <div class="feedback">
      {given && (
        <div class="returned" data-testid="returned">
          <p class="state received">
            <span class="badge">{t('feedback.badge')}</span>{' '}
            {given.version > 1
              ? t('feedback.correctedAgain', { version: given.version, date: when(given.returnedAt) })
              : t('feedback.returnedAt', { date: when(given.returnedAt) })}
          </p>
          {given.assessment.kind !== 'none' && <p class="assessment">{assessmentWords(given.assessment, t)}</p>}
          <p class="meta" data-testid="seen">
            {given.seenAt ? t('feedback.seenAt', { date: when(given.seenAt) }) : t('feedback.notSeen')}
          </p>
        </div>
      )}
      {waitingHere.length > 0 && <p class="state pending">{t('feedback.pending')}</p>}
      <form onSubmit={(e) => void onSubmit(e)} aria-label={t('feedback.give')}>
        <label for={`${id}-comment`}>{t('feedback.comment')}</label>
        <textarea id={`${id}-comment`} rows={4} value={comment} onInput={(e) => setComment(e.currentTarget.value)} />
        <fieldset>
          <legend>{t('feedback.assessment')}</legend>
          <div class="assessment-choice">
            {(['none', 'level', 'mark'] as const).map((kind) => (
              <label key={kind}>
                <input
                  type="radio"
                  name={`${id}-kind`}
                  value={kind}
                  checked={choice.kind === kind}
                  onChange={() => setChoice({ ...choice, kind })}
                />{' '}
                {t(
                  kind === 'none' ? 'feedback.none' : kind === 'level' ? 'feedback.levelChoice' : 'feedback.markChoice',
                )}
              </label>
            ))}
          </div>
          {choice.kind === 'level' && (
            <select
              aria-label={t('feedback.levelValue')}
              value={choice.level}
              onChange={(e) => setChoice({ ...choice, level: e.currentTarget.value as AssessmentChoice['level'] })}
            >
              {(['acquis', 'en_cours', 'non_acquis'] as const).map((level) => (
                <option key={level} value={level}>
                  {t(`feedback.level.${level}`)}
                </option>
              ))}
            </select>
          )}
          {choice.kind === 'mark' && (
            <div class="mark-fields">
              <label>
                {t('feedback.markValue')}{' '}
                <input
                  inputMode="decimal"
                  size={5}
                  value={choice.mark}
                  onInput={(e) => setChoice({ ...choice, mark: e.currentTarget.value })}
                />
              </label>
              <label>
                {t('feedback.outOf')}{' '}
                <input
                  inputMode="numeric"
                  size={4}
                  value={choice.outOf}
                  onInput={(e) => setChoice({ ...choice, outOf: e.currentTarget.value })}
                />
              </label>
            </div>
          )}
        </fieldset>
        <label for={`${id}-file`}>{t('feedback.attach')}</label>
        <input id={`${id}-file`} type="file" accept="image/*,application/pdf" onChange={(e) => void onAttach(e)} />
        {attached && (
          <p class="meta">
            {t('feedback.attached', { name: attached.ref.name, size: formatSize(attached.ref.size, t, locale) })}
          </p>
        )}
        {notice && (
          <p
            role={notice === 'feedback.queued' ? 'status' : 'alert'}
            class={notice === 'feedback.queued' ? 'notice' : 'error'}
          >
            {t(notice)}
          </p>
        )}
        <button type="submit" class="primary">
          {given ? t('feedback.correct') : t('feedback.give')}
        </button>
      </form>
    </div>
  );
}

export function SubmissionsView(props: AssignmentScreenProps): JSX.Element {
  const { t, locale } = useI18n();
  const heading = useFocusOnMount<HTMLHeadingElement>();
  const [loaded, setLoaded] = useState<Loaded>();
  const { session, klass, week, assignmentId } = props;
  const queued = useOutboxView().items.filter(
    (i) => kindOf(i) === 'feedback' && i.classId === klass.id && i.week === week && i.assignmentId === assignmentId,
  );
  // Fetched again once a return of this device has reached the server: the page then shows it as returned.
  const delivered = queued.filter((i) => i.state === 'received').length;

  // When the copies shown were saved on this device (no network); undefined when they come from the server.
  const [savedAt, setSavedAt] = useState<number | undefined>();
  useEffect(() => {
    let live = true;
    const copies = new CopiesStore(props.services.db, dbSealing(props.services.db, props.services.keyring));
    const key = copiesKey(session.user.id, klass.id, week, assignmentId);
    const load = async (): Promise<Loaded> => {
      const res = await session.send({
        method: 'GET',
        path: `/api/classes/${klass.id}/weeks/${week}/assignments/${assignmentId}/submissions`,
      });
      // A server that is down or shedding load: the copies kept on the device, as with no network.
      if (res.status >= 500 || res.status === 429) throw new Error(`copies answered ${res.status}`);
      if (res.status !== 200) return 'missing';
      const reply = JSON.parse(new TextDecoder().decode(res.body)) as AssignmentSubmissionsReply;
      // Kept for the next time there is no network: the copies can be read and returned offline.
      await copies.save(key, session.user.id, reply, Date.now()).catch(() => undefined);
      if (live) setSavedAt(undefined);
      return reply;
    };
    const fromDevice = async (): Promise<Loaded> => {
      const kept = await copies.get(key).catch(() => undefined);
      if (!kept) return 'offline';
      if (live) setSavedAt(kept.savedAt);
      return kept.reply;
    };
    void load()
      .catch(fromDevice)
      .then((result) => live && setLoaded(result));
    return () => {
      live = false;
    };
  }, [props.services, session, klass.id, week, assignmentId, delivered]);

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
  // The kind of assessment (and scale) already used for this assignment's returns, newest first.
  const usual = loaded.pupils
    .flatMap((p) => p.submissions.flatMap((v) => (v.feedback ? [v.feedback] : [])))
    .sort((a, b) => b.returnedAt.localeCompare(a.returnedAt))[0]?.assessment;
  const onDownload = (id: string) => (f: SubmittedFile) => void download(session, id, f).catch(() => undefined);
  return (
    <article>
      {back}
      <h1 tabIndex={-1} ref={heading}>
        {t('teacher.title', { title: loaded.title })}
      </h1>
      <p class="subtitle">{t('teacher.count', { done, total: loaded.pupils.length })}</p>
      {savedAt !== undefined && (
        <p class="notice" role="status" data-testid="copies-offline">
          {t('teacher.savedCopies', { date: formatDue(new Date(savedAt).toISOString(), locale, klass.timeZone) })}
        </p>
      )}
      <ul class="cards">
        {loaded.pupils.map((pupil) => (
          <li key={pupil.pupilId} class="card">
            <h2 class="item-title">{pupil.displayName}</h2>
            {pupil.submissions.length === 0 ? (
              <p class="meta">{t('teacher.none')}</p>
            ) : (
              pupil.submissions.map((v, i) => (
                <div key={`${v.submissionId}-${v.receivedAt}-${v.text.length}`}>
                  <Version v={v} timeZone={klass.timeZone} onDownload={onDownload(v.submissionId)} />
                  {/* One return per copy, under its first version (other versions with its id are read beside it). */}
                  {pupil.submissions.findIndex((o) => o.submissionId === v.submissionId) === i ? (
                    <ReturnForm
                      usual={usual}
                      services={props.services}
                      owner={session.user.id}
                      v={v}
                      pupilName={pupil.displayName}
                      title={loaded.title}
                      klass={klass}
                      week={week}
                      assignmentId={assignmentId}
                      queued={queued.filter((q) => q.feedback?.submissionId === v.submissionId)}
                    />
                  ) : null}
                </div>
              ))
            )}
          </li>
        ))}
      </ul>
    </article>
  );
}
