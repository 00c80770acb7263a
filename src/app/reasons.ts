/**
 * Why an item was refused, in the pupil's language: the stable code the server (or the device) gave, worded by the
 * catalogue; the server's own sentence only for a code this app does not know yet.
 */
import type { OutboxItem } from '../sync/ports.ts';
import type { Translate } from './i18n/index.ts';
import { fr, type MessageKey } from './i18n/fr.ts';

export const reasonKey = (code: string): MessageKey | undefined => {
  const key = `reason.${code}`;
  return key in fr ? (key as MessageKey) : undefined;
};

export function refusalText(refusal: NonNullable<OutboxItem['refusal']>, t: Translate): string {
  const key = reasonKey(refusal.error);
  if (key) return t(key, { file: refusal.file ?? '' });
  if (refusal.message) return refusal.message;
  const http = /^http_(\d{3})$/.exec(refusal.error);
  return http ? t('reason.http', { status: http[1] ?? '' }) : t('reason.unknown');
}
