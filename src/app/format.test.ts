import { describe, expect, it } from 'vitest';
import { formatClock } from './format.ts';
import { en as english } from './i18n/en.ts';
import { holdCatalogue } from './i18n/index.ts';

// The app loads English when chosen; here it is held from the start.
holdCatalogue('en', english);

describe('formatClock', () => {
  it('says the time the French way, in the school’s time zone', () => {
    const at = Date.parse('2026-11-23T07:47:00Z'); // 8:47 in Paris (UTC+1 in November)
    expect(formatClock(at, 'fr', 'Europe/Paris')).toBe('8 h 47');
    expect(formatClock(at, 'en', 'Europe/Paris')).toBe('08:47');
    expect(formatClock(Date.parse('2026-07-01T21:05:00Z'), 'fr', 'Europe/Paris')).toBe('23 h 05');
  });
});

describe('formatWhen', () => {
  it('says today, tomorrow or the weekday, in the school’s time zone', async () => {
    const { translator } = await import('./i18n/index.ts');
    const { formatWhen } = await import('./format.ts');
    const t = translator('fr');
    const now = Date.parse('2026-11-23T10:00:00Z'); // Monday 11:00 in Paris
    expect(formatWhen(Date.parse('2026-11-23T20:14:00Z'), now, t, 'fr', 'Europe/Paris')).toBe('aujourd’hui à 21 h 14');
    expect(formatWhen(Date.parse('2026-11-24T02:02:00Z'), now, t, 'fr', 'Europe/Paris')).toBe('demain à 3 h 02');
    expect(formatWhen(Date.parse('2026-11-26T18:40:00Z'), now, t, 'fr', 'Europe/Paris')).toBe('jeudi à 19 h 40');
    expect(formatWhen(Date.parse('2026-11-24T02:02:00Z'), now, translator('en'), 'en', 'Europe/Paris')).toBe(
      'tomorrow at 03:02',
    );
  });
});

describe('formatDue', () => {
  it('says a date and time one way everywhere, the time as people say it', async () => {
    const { formatDue } = await import('./format.ts');
    expect(formatDue('2026-12-03T15:30:00.000Z', 'fr', 'Europe/Paris')).toBe('jeudi 3 décembre à 16 h 30');
    expect(formatDue('2026-12-03T15:30:00.000Z', 'en', 'Europe/Paris')).toBe('Thursday 3 December at 16:30');
  });
});

describe('plurals', () => {
  it('agree in French and English, without “(s)”', async () => {
    const { loadScreenMessages, translator } = await import('./i18n/index.ts');
    await loadScreenMessages('en');
    const fr = translator('fr');
    const en = translator('en');
    expect(fr('teacher.count', { done: 1, total: 3 })).toBe('1 élève sur 3 a rendu ce devoir');
    expect(fr('teacher.count', { done: 2, total: 3 })).toBe('2 élèves sur 3 ont rendu ce devoir');
    expect(fr('teacher.count', { done: 0, total: 3 })).toBe('Aucun élève sur 3 n’a rendu ce devoir');
    expect(en('teacher.count', { done: 1, total: 3 })).toBe('1 of 3 pupils handed this in');
    expect(fr('publish.copies', { count: 2 })).toBe('2 copies rendues');
    const { catalogues } = await import('./i18n/catalogues.ts');
    for (const [key, text] of Object.entries(catalogues.fr)) expect(text, key).not.toContain('(s)');
  });
});
