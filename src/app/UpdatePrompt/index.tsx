/** "Nouvelle version disponible": shown when a new service worker waits; the pupil chooses when to reload. */
import type { JSX } from 'preact';
import { useI18n } from '../i18n/index.ts';

export function UpdatePrompt(props: { onApply: () => void; onDismiss: () => void }): JSX.Element {
  const { t } = useI18n();
  return (
    <div class="update" role="region" aria-label={t('update.available')}>
      <p role="status">{t('update.available')}</p>
      <button type="button" class="primary" onClick={props.onApply}>
        {t('update.apply')}
      </button>
      <button type="button" onClick={props.onDismiss}>
        {t('update.later')}
      </button>
    </div>
  );
}
