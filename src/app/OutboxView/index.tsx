/** "Mes envois": everything this pupil queued on the device, newest first, a page at a time (a tablet back from a
 * week offline may hold thousands). */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import type { ClassView } from '../../protocol/schemas.ts';
import { useI18n } from '../i18n/index.ts';
import { assignmentPath, Link, publishPath } from '../router.tsx';
import type { Services } from '../services.ts';
import { useFocusOnMount } from '../use-focus.ts';
import { useOutboxView } from '../outbox-context.tsx';
import { waiting } from '../use-outbox.ts';
import { ServerWait } from '../ServerWait/index.tsx';
import { ItemStatus } from './ItemStatus.tsx';

export const OUTBOX_PAGE_SIZE = 50;

export function OutboxView(props: { services: Services; klass: ClassView }): JSX.Element {
  const { t } = useI18n();
  const heading = useFocusOnMount<HTMLHeadingElement>();
  const { items, corrupt, loaded } = useOutboxView();
  const [page, setPage] = useState(0);
  const pages = Math.max(1, Math.ceil(items.length / OUTBOX_PAGE_SIZE));
  const current = Math.min(page, pages - 1);
  const shown = items.slice(current * OUTBOX_PAGE_SIZE, (current + 1) * OUTBOX_PAGE_SIZE);
  return (
    <>
      <h1 tabIndex={-1} ref={heading}>
        {t('outbox.title')}
      </h1>
      <p role="status">{t('outbox.count', { count: waiting(items).length })}</p>
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
              <Link href={item.publication ? publishPath(item.week) : assignmentPath(item.week, item.assignmentId)}>
                {item.assignmentTitle}
              </Link>
            </h2>
            <ItemStatus item={item} timeZone={props.klass.timeZone} />
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
