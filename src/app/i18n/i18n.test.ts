import { describe, expect, it } from 'vitest';
import { catalogues, detectLocale, LOCALES, translator } from './index.ts';

const placeholders = (s: string) =>
  [...s.matchAll(/\{(\w+)[,}]/g)].map((m) => m[1] ?? '').sort((a, b) => a.localeCompare(b));

describe('i18n catalogues', () => {
  it('have every key in both languages, none empty', () => {
    const keys = Object.keys(catalogues.fr).sort();
    for (const locale of LOCALES) {
      expect(Object.keys(catalogues[locale]).sort(), locale).toEqual(keys);
      for (const [key, text] of Object.entries(catalogues[locale]))
        expect(text.trim(), `${locale}:${key}`).not.toBe('');
    }
  });

  it('use the same placeholders in both languages', () => {
    for (const [key, text] of Object.entries(catalogues.fr)) {
      expect(placeholders(catalogues.en[key as keyof typeof catalogues.en]), key).toEqual(placeholders(text));
    }
  });
});

describe('translate', () => {
  it('fills placeholders and plurals per language', () => {
    const fr = translator('fr');
    const en = translator('en');
    expect(fr('status.downloading', { done: 2, total: 5 })).toBe('Téléchargement : 2 sur 5');
    expect(fr('week.attachments', { count: 0 })).toBe('sans pièce jointe');
    expect(fr('week.attachments', { count: 1 })).toBe('1 pièce jointe');
    expect(fr('week.attachments', { count: 3 })).toBe('3 pièces jointes');
    expect(en('week.attachments', { count: 1 })).toBe('1 attachment');
    expect(en('week.attachments', { count: 2 })).toBe('2 attachments');
  });

  it('keeps an unknown placeholder visible rather than dropping text', () => {
    expect(translator('fr')('week.due', {})).toBe('À rendre le {date}');
  });
});

describe('locale detection', () => {
  it('prefers the remembered choice, then the browser, then French', () => {
    expect(detectLocale('en', ['fr-FR'])).toBe('en');
    expect(detectLocale(null, ['en-GB', 'fr'])).toBe('en');
    expect(detectLocale(null, ['de-DE', 'fr-BE'])).toBe('fr');
    expect(detectLocale(null, ['de-DE'])).toBe('fr');
    expect(detectLocale('xx', [])).toBe('fr');
  });
});
