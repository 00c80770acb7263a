/**
 * Handing in homework: a text answer and files (a photo from the camera, images, PDF), saved as a draft as the
 * pupil types, then queued on the device in one transaction before the page says "Enregistré sur cet appareil".
 */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { Assignment } from '../../protocol/schemas.ts';
import type { ClassView } from '../../protocol/schemas.ts';
import type { DraftRecord } from '../../storage/db.ts';
import type { ActiveSession } from '../session.ts';
import { draftKey } from '../../storage/drafts.ts';
import { kindOf, type OutboxFile, type OutboxItem } from '../../sync/ports.ts';
import { cryptoRandom, storageFree } from '../../storage/platform.ts';
import { firstSendAt } from '../../protocol/send-peaks.ts';
import { checkHomeworkFiles, HOMEWORK_LIMITS, type HomeworkFileProblem } from '../../protocol/homework-files.ts';
import { formatClock, formatDue, formatSize } from '../format.ts';
import { queueAndSend, useDebouncedWrite } from '../draft-saving.ts';
import { type Translate, useI18n } from '../i18n/index.ts';
import { prepareHomeworkFile } from '../photos/index.ts';
import { ItemStatus } from '../OutboxView/ItemStatus.tsx';
import { Link } from '../router.tsx';
import type { Services } from '../services.ts';
import { ServerWait } from '../ServerWait/index.tsx';
import { useOutboxView } from '../outbox-context.tsx';
import { useFeedback } from '../feedback-context.tsx';
import { FeedbackPanel } from './FeedbackPanel.tsx';
import { changeable, waiting } from '../use-outbox.ts';
import { type Notice, saveFailure as failure } from './save-failure.ts';

type PickedFile = OutboxFile & { bytes: Uint8Array; originalSize?: number };

/** One file problem in the pupil's words, with the file, its size and the limit. */
function problemText(p: HomeworkFileProblem, t: Translate, locale: string): string {
  const size = (n: number) => formatSize(n, t, locale);
  switch (p.kind) {
    case 'type':
      return t('assignment.fileType', { name: p.name });
    case 'size':
      return t('assignment.fileSize', { name: p.name, size: size(p.size), limit: size(p.limit) });
    case 'total':
      return t('assignment.filesTotal', { size: size(p.size), limit: size(p.limit) });
    default:
      return t('assignment.filesCount', { limit: p.limit });
  }
}

function toDraftFiles(files: PickedFile[]): DraftRecord['files'] {
  return files.map(({ bytes, ...ref }) => ({ ...ref, bytes: bytes.slice().buffer }));
}

/** What a screen about one assignment of one week needs (the pupil's hand-in, the teacher's view). */
export interface AssignmentScreenProps {
  services: Services;
  session: ActiveSession;
  klass: ClassView;
  week: string;
  assignmentId: string;
}

export function AssignmentView(props: AssignmentScreenProps): JSX.Element {
  const { t, locale } = useI18n();
  const { services, session, klass, week, assignmentId } = props;
  const owner = session.user.id;
  const key = draftKey(owner, klass.id, week, assignmentId);
  const [assignment, setAssignment] = useState<Assignment | null | undefined>();
  const [text, setText] = useState('');
  const [files, setFiles] = useState<PickedFile[]>([]);
  const [notice, setNotice] = useState<Notice | undefined>();
  const [busy, setBusy] = useState(false);
  const outbox = useOutboxView();
  const mine = outbox.items.filter(
    (i) => kindOf(i) === 'homework' && i.classId === klass.id && i.week === week && i.assignmentId === assignmentId,
  );
  const feedback = useFeedback();
  const returned = feedback.list.filter(
    (f) => f.classId === klass.id && f.week === week && f.assignmentId === assignmentId,
  );

  const loadDraft = async () => {
    const draft = await services.drafts.get(key);
    setText(draft?.text ?? '');
    setFiles((draft?.files ?? []).map((f) => ({ ...f, bytes: new Uint8Array(f.bytes) })));
  };

  useEffect(() => {
    let live = true;
    const load = async () => {
      const installed = await services.weeks.get(klass.id, week);
      const found = installed?.manifest.assignments.find((a) => a.id === assignmentId) ?? null;
      if (!live) return;
      setAssignment(found);
      await loadDraft();
    };
    void load().catch(() => live && setAssignment(null));
    return () => {
      live = false;
    };
  }, [services, klass.id, week, assignmentId]);

  useEffect(() => {
    if (assignment !== undefined) document.querySelector<HTMLElement>('#assignment-title')?.focus();
  }, [assignment]);

  const writer = useDebouncedWrite(([nextText, nextFiles]: [string, PickedFile[]]) =>
    services.drafts
      .save({ key, owner, text: nextText, files: toDraftFiles(nextFiles), updatedAt: Date.now() })
      // A draft saved just after files were refused must not hide why they were (a later pick or send says more);
      // it does replace an earlier failure to save.
      .then(() =>
        setNotice((current) =>
          current?.key === 'assignment.filesRefused' ? current : { kind: 'status', key: 'assignment.draftSaved' },
        ),
      )
      .catch((err: unknown) => setNotice(failure(err))),
  );
  const saveDraft = (nextText: string, nextFiles: PickedFile[]) => writer.schedule([nextText, nextFiles]);

  const onInput = (e: Event) => {
    const value = (e.currentTarget as HTMLTextAreaElement).value;
    setText(value);
    saveDraft(value, files);
  };

  const onPick = async (e: Event) => {
    const input = e.currentTarget as HTMLInputElement;
    const chosen = Array.from(input.files ?? []);
    input.value = '';
    setBusy(true);
    const picked: (Omit<PickedFile, 'sha256'> & { sha256?: string })[] = [];
    try {
      for (const file of chosen) {
        // Photos are made smaller on the device (off the main thread) before anything is saved or counted.
        const prepared = await prepareHomeworkFile(file);
        picked.push({
          name: prepared.name,
          type: prepared.type,
          size: prepared.bytes.byteLength,
          bytes: prepared.bytes,
          ...(prepared.originalSize ? { originalSize: prepared.originalSize } : {}),
        });
      }
    } finally {
      setBusy(false);
    }
    // The server's limits (from its sync policy; safe defaults before the first fetch), checked file by file now:
    // a file over them is never saved, and the pupil learns which one and why at once.
    const policy = await services.device.policy(klass.id);
    const limits = typeof policy?.homework?.maxFileBytes === 'number' ? policy.homework : HOMEWORK_LIMITS;
    const kept: PickedFile[] = [...files];
    const refused: string[] = [];
    // Room on the device: a file is kept twice for a moment (the draft, then the queue). One that will not fit is
    // said at once; the text, small, is always saved.
    let room = await storageFree();
    for (const candidate of picked) {
      const problems = checkHomeworkFiles([...kept, candidate], limits);
      // Hashed only once it passed the limits: a 60 MB file refused is never read twice.
      const p: PickedFile = {
        ...candidate,
        sha256: problems.length === 0 ? await services.hasher.sha256Hex(candidate.bytes) : '',
      };
      if (problems.length === 0 && kept.some((f) => f.sha256 === p.sha256)) continue;
      if (problems.length > 0) refused.push(...problems.map((problem) => problemText(problem, t, locale)));
      else if (room !== undefined && p.size * 2 > room)
        refused.push(
          t('assignment.noRoom', {
            name: p.name,
            size: formatSize(p.size, t, locale),
            free: formatSize(Math.max(0, room), t, locale),
          }),
        );
      else {
        kept.push(p);
        if (room !== undefined) room -= p.size * 2;
      }
    }
    setFiles(kept);
    saveDraft(text, kept);
    setNotice(
      refused.length > 0 ? { kind: 'alert', key: 'assignment.filesRefused', reason: refused.join(' ') } : undefined,
    );
  };

  const removeFile = (sha256: string) => {
    const next = files.filter((f) => f.sha256 !== sha256);
    setFiles(next);
    saveDraft(text, next);
  };

  const onSubmit = async (e: SubmitEvent) => {
    e.preventDefault();
    if (!assignment) return;
    if (text.trim() === '' && files.length === 0) {
      setNotice({ kind: 'alert', key: 'assignment.empty' });
      return;
    }
    writer.cancel();
    setBusy(true);
    const createdAt = Date.now();
    // In the server's peak hours (its policy, fetched with the week) part of the new work waits to be sent.
    const policy = await services.device.policy(klass.id);
    const notBefore = firstSendAt(createdAt, policy?.sendPeaks, policy?.timeZone ?? klass.timeZone, () =>
      cryptoRandom.next(),
    );
    const item: OutboxItem = {
      id: crypto.randomUUID(),
      owner,
      classId: klass.id,
      week,
      assignmentId,
      assignmentTitle: assignment.title,
      text,
      files: files.map(({ bytes: _bytes, originalSize: _original, ...ref }) => ref),
      submittedAt: new Date(createdAt).toISOString(),
      createdAt,
      ...(notBefore > createdAt ? { notBefore } : {}),
      state: 'pending',
      attempts: 0,
    };
    try {
      await queueAndSend(
        services,
        key,
        item,
        files.map((f) => ({ sha256: f.sha256, type: f.type, bytes: f.bytes })),
      );
      // Only now, with everything in IndexedDB, does the pupil hear that it is saved.
      setText('');
      setFiles([]);
      setNotice(
        notBefore > createdAt
          ? { kind: 'status', key: 'assignment.savedPeak', time: formatClock(notBefore, locale, klass.timeZone) }
          : { kind: 'status', key: 'assignment.saved' },
      );
    } catch (err) {
      // The form keeps the text and files; the draft on the device keeps its last saved state.
      setNotice(failure(err));
    } finally {
      setBusy(false);
    }
  };

  const onEdit = async (item: OutboxItem) => {
    if (await services.drafts.edit(item.id, key)) {
      await loadDraft();
      setNotice({ kind: 'status', key: 'assignment.editing' });
      services.events.dispatchEvent(new Event('outbox-changed'));
    }
  };

  const onWithdraw = async (item: OutboxItem) => {
    if (!confirm(t('outbox.withdrawConfirm'))) return;
    if (await services.outbox.remove(item.id, changeable)) services.events.dispatchEvent(new Event('outbox-changed'));
  };

  if (assignment === undefined) return <p aria-busy="true">{t('app.loading')}</p>;
  const back = (
    <p>
      <Link href="/">← {t('lesson.back')}</Link>
    </p>
  );
  if (assignment === null) {
    return (
      <>
        {back}
        <h1 id="assignment-title" tabIndex={-1}>
          {t('assignment.notFound')}
        </h1>
      </>
    );
  }
  return (
    <article>
      {back}
      <h1 id="assignment-title" tabIndex={-1}>
        {assignment.title}
      </h1>
      <p>{assignment.instructions}</p>
      <p class="due">{t('week.due', { date: formatDue(assignment.dueAt, locale, klass.timeZone) })}</p>
      {returned.map((given) => (
        <FeedbackPanel
          key={given.feedbackId}
          given={given}
          timeZone={klass.timeZone}
          onShown={feedback.opened}
          openFile={async (sha256) => (await import('../feedback-refresh.ts')).returnedFile(services, owner, sha256)}
        />
      ))}
      <form class="card" onSubmit={(e) => void onSubmit(e)}>
        <label for="answer">{t('assignment.answer')}</label>
        <textarea id="answer" name="answer" rows={8} value={text} onInput={onInput} />
        <label for="files">{t('assignment.addFiles')}</label>
        <input id="files" type="file" multiple accept="image/*,application/pdf" onChange={(e) => void onPick(e)} />
        <label for="camera">{t('assignment.takePhoto')}</label>
        <input id="camera" type="file" accept="image/*" capture="environment" onChange={(e) => void onPick(e)} />
        {files.length > 0 && (
          <p class="meta" data-testid="to-send">
            {t('assignment.toSend', {
              count: files.length,
              size: formatSize(
                files.reduce((sum, f) => sum + f.size, 0),
                t,
                locale,
              ),
            })}
          </p>
        )}
        {files.length > 0 && (
          <ul class="picked">
            {files.map((f) => (
              <li key={f.sha256}>
                {f.name} ({formatSize(f.size, t, locale)}
                {f.originalSize ? `, ${t('assignment.reduced', { size: formatSize(f.originalSize, t, locale) })}` : ''}){' '}
                <button type="button" onClick={() => removeFile(f.sha256)}>
                  {t('assignment.removeFile', { name: f.name })}
                </button>
              </li>
            ))}
          </ul>
        )}
        {notice && (
          <p role={notice.kind} class={notice.kind === 'alert' ? 'error' : 'notice'}>
            {t(notice.key, { reason: notice.reason ?? '', time: notice.time ?? '' })}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? t('assignment.saving') : t('assignment.submit')}
        </button>
      </form>
      {mine.length > 0 && (
        <section aria-labelledby="yours-title">
          <h2 id="yours-title">{t('assignment.yours')}</h2>
          <ServerWait services={services} waiting={waiting(mine).length} timeZone={klass.timeZone} />
          <ul class="cards">
            {mine.map((item) => (
              <li key={item.id} class="card">
                <ItemStatus
                  item={item}
                  timeZone={klass.timeZone}
                  onEdit={(i) => void onEdit(i)}
                  onWithdraw={(i) => void onWithdraw(i)}
                />
              </li>
            ))}
          </ul>
        </section>
      )}
    </article>
  );
}
