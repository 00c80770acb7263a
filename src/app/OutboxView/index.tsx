/** "Mes envois": everything this pupil queued on the device, newest first, a page at a time (a tablet back from a
 * week offline may hold thousands). */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import type { ClassView } from '../../protocol/schemas.ts';
import { useI18n } from '../i18n/index.ts';
import { draftKey } from '../../storage/drafts.ts';
import { kindOf, type OutboxItem } from '../../sync/ports.ts';
import { assignmentPath, Link, navigate, publishPath, submissionsPath } from '../router.tsx';
import { useFeedback } from '../feedback-context.tsx';
import type { Services } from '../services.ts';
import { useFocusOnMount } from '../use-focus.ts';
import { useOutboxView } from '../outbox-context.tsx';
import { changeable, refused, waiting } from '../use-outbox.ts';
import { ServerWait } from '../ServerWait/index.tsx';
import { ItemStatus } from './ItemStatus.tsx';

export const OUTBOX_PAGE_SIZE = 50;

/** Where an item is opened: its assignment, the week's editor for a publication, the copies for a return. */
function linkOf(item: OutboxItem): string {
  const kind = kindOf(item);
  if (kind === 'publication') return publishPath(item.week);
  if (kind === 'feedback') return submissionsPath(item.week, item.assignmentId);
  return assignmentPath(item.week, item.assignmentId);
}

export function OutboxView(props: { services: Services; klass: ClassView }): JSX.Element {
  const { t } = useI18n();
  const heading = useFocusOnMount<HTMLHeadingElement>();
  const { items, corrupt, loaded } = useOutboxView();
  const [page, setPage] = useState(0);
  const pages = Math.max(1, Math.ceil(items.length / OUTBOX_PAGE_SIZE));
  const current = Math.min(page, pages - 1);
  const shown = items.slice(current * OUTBOX_PAGE_SIZE, (current + 1) * OUTBOX_PAGE_SIZE);
  const toFix = refused(items).length;
  const returned = new Set(useFeedback().list.map((f) => f.submissionId));
  // Back into the assignment's form, text and files, to correct it and hand it in again.
  const onEdit = async (item: OutboxItem) => {
    const key = draftKey(item.owner, item.classId, item.week, item.assignmentId);
    if (await props.services.drafts.edit(item.id, key)) {
      props.services.events.dispatchEvent(new Event('outbox-changed'));
      navigate(assignmentPath(item.week, item.assignmentId));
    }
  };
  const onWithdraw = async (item: OutboxItem) => {
    if (!confirm(t('outbox.withdrawConfirm'))) return;
    if (await props.services.outbox.remove(item.id, changeable))
      props.services.events.dispatchEvent(new Event('outbox-changed'));
  };
  return (
    <>
      <h1 tabIndex={-1} ref={heading}>
        {t('outbox.title')}
      </h1>
      <p role="status">
        {t('outbox.count', { count: waiting(items).length })}
        {toFix > 0 && (
          <>
            {' · '}
            <strong class="error">{t('outbox.refusedCount', { count: toFix })}</strong>
          </>
        )}
      </p>
      <ServerWait services={props.services} waiting={waiting(items).length} timeZone={props.klass.timeZone} />
      {corrupt.map((id) => (
        <p key={id} role="alert" class="error">
          {t('outbox.corrupt', { id })}
        </p>
      ))}
      {loaded && items.length === 0 && <p>{t('outbox.empty')}</p>}
      <ul class="cards">
        {shown.map((item) => (
          <li key={item.id} class="card">
            <h2 class="item-title">
              <Link href={linkOf(item)}>
                {item.feedback
                  ? t('feedback.itemTitle', { name: item.feedback.pupilName, title: item.assignmentTitle })
                  : item.assignmentTitle}
              </Link>
            </h2>
            {returned.has(item.id) && (
              <p class="badge" data-testid="corrected">
                <Link href={assignmentPath(item.week, item.assignmentId)}>{t('feedback.badge')}</Link>
              </p>
            )}
            <ItemStatus
              item={item}
              timeZone={props.klass.timeZone}
              onEdit={(i) => void onEdit(i)}
              onWithdraw={(i) => void onWithdraw(i)}
            />
          </li>
        ))}
      </ul>
      {pages > 1 && (
        <nav class="pager" aria-label={t('outbox.page', { page: current + 1, pages })}>
          <button type="button" disabled={current === 0} onClick={() => setPage(current - 1)}>
            {t('outbox.previous')}
          </button>
          <span>{t('outbox.page', { page: current + 1, pages })}</span>
          <button type="button" disabled={current >= pages - 1} onClick={() => setPage(current + 1)}>
            {t('outbox.next')}
          </button>
        </nav>
      )}
    </>
  );
}
