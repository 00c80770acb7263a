/** What the pupil is told when the device could not save their homework (the form keeps what they typed). */
import type { MessageKey } from '../i18n/index.ts';

export type Notice = { kind: 'status' | 'alert'; key: MessageKey; reason?: string; time?: string };

export function saveFailure(err: unknown): Notice {
  const name = err instanceof DOMException || err instanceof Error ? err.name : '';
  if (name === 'QuotaExceededError') return { kind: 'alert', key: 'assignment.quota' };
  return { kind: 'alert', key: 'assignment.saveFailed', reason: name || 'erreur inconnue' };
}
