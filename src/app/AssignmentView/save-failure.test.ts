import { beforeAll, describe, expect, it } from 'vitest';
import { loadScreenMessages, translator } from '../i18n/index.ts';
import { saveFailure } from './save-failure.ts';

describe('saveFailure', () => {
  // As the lazy screen does before drawing the form.
  beforeAll(() => loadScreenMessages('fr'));

  it('tells the pupil the device is full, and that nothing was saved but the text is still there', () => {
    const notice = saveFailure(new DOMException('quota', 'QuotaExceededError'));
    expect(notice).toEqual({ kind: 'alert', key: 'assignment.quota' });
    expect(translator('fr')(notice.key)).toContain('rien n’a été enregistré. Ton texte est toujours là');
  });

  it('names any other failure, and still says the text is kept', () => {
    const notice = saveFailure(new DOMException('aborted', 'AbortError'));
    expect(notice).toEqual({ kind: 'alert', key: 'assignment.saveFailed', reason: 'AbortError' });
    expect(translator('fr')(notice.key, { reason: notice.reason ?? '' })).toBe(
      'Impossible d’enregistrer sur cet appareil (AbortError). Ton texte est toujours là : réessaie.',
    );
    expect(saveFailure('weird').reason).toBe('erreur inconnue');
  });
});
