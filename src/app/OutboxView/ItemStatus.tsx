/** Where one piece of homework stands, in words a pupil understands, with what they can still do. */
import type { JSX } from 'preact';
import { kindOf, type OutboxItem } from '../../sync/ports.ts';
import { formatClock, formatDue } from '../format.ts';
import { useI18n } from '../i18n/index.ts';
import { refusalText } from '../reasons.ts';
import { changeable } from '../use-outbox.ts';

/** The signed receipt as a file the pupil can keep: check it against the server's public key (/api/keys). */
function receiptHref(item: OutboxItem): string {
  const proof = { ...item.receipt, publicKeys: '/api/keys', algorithm: 'Ed25519' };
  return `data:application/json;charset=utf-8,${encodeURIComponent(JSON.stringify(proof, null, 2))}`;
}

export function ItemStatus(props: {
  item: OutboxItem;
  timeZone: string;
  onEdit?: (item: OutboxItem) => void;
  onWithdraw?: (item: OutboxItem) => void;
  /** On the week's card, whose own line already says waiting or sent: only what that line does not say. */
  compact?: boolean;
}): JSX.Element {
  const { t, locale } = useI18n();
  const { item } = props;
  const when = (iso: string) => formatDue(iso, locale, props.timeZone);
  const kind = kindOf(item);
  let status: JSX.Element;
  switch (item.state) {
    case 'pending':
      status = (
        <p class="state pending">
          {item.lastError === 'auth'
            ? t('outbox.authWait')
            : item.notBefore !== undefined && item.notBefore > Date.now()
              ? t('outbox.peakWait', { time: formatClock(item.notBefore, locale, props.timeZone) })
              : t('outbox.pending')}
        </p>
      );
      break;
    case 'sending':
      status = <p class="state sending">{t('outbox.sending')}</p>;
      break;
    case 'received':
      status =
        kind === 'feedback' ? (
          <p class="state received">
            {t('feedback.sent', { date: when(item.published?.publishedAt ?? item.submittedAt) })}
          </p>
        ) : item.publication ? (
          <p class="state received">{t('outbox.published', { version: item.published?.version ?? 0 })}</p>
        ) : (
          <>
            <p class="state received">
              {t('outbox.received', { date: when(item.receipt?.receivedAt ?? item.submittedAt) })}
            </p>
            {item.receipt && (
              <p>
                <a href={receiptHref(item)} download={`recu-${item.id}.json`}>
                  {t('outbox.receipt')}
                </a>
              </p>
            )}
          </>
        );
      break;
    case 'conflict':
      status = <p class="state refused">{t(item.publication ? 'outbox.publicationConflict' : 'outbox.conflict')}</p>;
      break;
    default:
      status = (
        <div class="state refused">
          <p>{t('outbox.refused', { reason: item.refusal ? refusalText(item.refusal, t) : '' })}</p>
          <p>{t(props.onEdit ? 'outbox.refusedFix' : 'outbox.refusedHelp')}</p>
        </div>
      );
  }
  const plain =
    item.state === 'sending' ||
    item.state === 'received' ||
    (item.state === 'pending' &&
      item.lastError !== 'auth' &&
      !(item.notBefore !== undefined && item.notBefore > Date.now()));
  return (
    <div class="outbox-item" data-state={item.state}>
      {props.compact && plain ? null : status}
      <p class="meta">
        {t('outbox.submittedOn', { date: when(item.submittedAt) })} · {t('outbox.files', { count: item.files.length })}
      </p>
      {item.text && <p class="answer">{item.text.length > 200 ? `${item.text.slice(0, 200)}…` : item.text}</p>}
      {changeable(item) && kind === 'homework' && (props.onEdit || props.onWithdraw) && (
        <p class="actions">
          {props.onEdit && (
            <button type="button" onClick={() => props.onEdit?.(item)}>
              {t('outbox.edit')}
            </button>
          )}
          {props.onWithdraw && (
            <button type="button" onClick={() => props.onWithdraw?.(item)}>
              {t('outbox.withdraw')}
            </button>
          )}
        </p>
      )}
    </div>
  );
}
