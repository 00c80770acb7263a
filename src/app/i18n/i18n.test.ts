import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEVICE_ERROR_CODES, ERROR_CODES } from '../../protocol/error-codes.ts';
import { refusalText } from '../reasons.ts';
import { catalogues } from './catalogues.ts';
import { fr as frFirstScreen } from './fr.ts';
import { frScreens } from './fr-screens.ts';
import { detectLocale, LOCALES, translator } from './index.ts';

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

/** The modules the first screen runs: main.tsx and what it imports statically (dynamic imports load later). */
function firstScreenModules(): Map<string, string> {
  const found = new Map<string, string>();
  const visit = (file: string) => {
    if (found.has(file)) return;
    const text = readFileSync(file, 'utf8');
    found.set(file, text);
    for (const m of text.matchAll(/^import (?!type )[^;]*?from '(\.[^']+)';/gms))
      if (m[1] && /\.tsx?$/.test(m[1])) visit(resolve(dirname(file), m[1]));
  };
  visit(resolve('src/app/main.tsx'));
  return found;
}

describe('the first screen’s words', () => {
  it('are in the catalogue loaded with it, so no screen shows a bare key', () => {
    const modules = firstScreenModules();
    // The walk must see the first screen and stop at the lazy ones, or this test checks nothing.
    const names = [...modules.keys()].map((f) => f.replace(/^.*src\/app\//, ''));
    expect(names).toEqual(expect.arrayContaining(['App.tsx', 'WeekView/index.tsx', 'SignIn/index.tsx']));
    expect(names.some((n) => n.startsWith('PublishView/') || n.startsWith('SchoolView/'))).toBe(false);
    const later = new Set(Object.keys(frScreens));
    const misplaced: string[] = [];
    for (const [file, text] of modules)
      for (const m of text.matchAll(/'([a-zA-Z]+\.[a-zA-Z.]+)'/g))
        if (m[1] && later.has(m[1])) misplaced.push(`${file.replace(/^.*src\//, '')}: ${m[1]}`);
    expect(misplaced).toEqual([]);
  });

  it('are not defined twice', () => {
    const twice = Object.keys(frScreens).filter((k) => k in frFirstScreen);
    expect(twice).toEqual([]);
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

describe('reasons', () => {
  it('word every error code the server or the device can give, in both languages', () => {
    for (const code of [...ERROR_CODES, ...DEVICE_ERROR_CODES])
      for (const locale of LOCALES)
        expect(catalogues[locale], `${locale}: reason.${code}`).toHaveProperty([`reason.${code}`]);
  });

  it('say the reason in the pupil’s language, never the server’s French, which is only a fallback', () => {
    const refusal = { status: 413, error: 'file_too_large', message: 'Fichier trop volumineux (50 Mo au plus).' };
    expect(refusalText(refusal, translator('en'))).toBe(
      'A file is too large: replace it with a lighter photo or remove it.',
    );
    expect(refusalText({ ...refusal, error: 'missing_local_file', file: 'cahier.jpg' }, translator('en'))).toBe(
      'The file “cahier.jpg” is no longer on this device: replace it.',
    );
    expect(refusalText({ status: 418, error: 'teapot', message: 'Je suis une théière.' }, translator('en'))).toBe(
      'Je suis une théière.',
    );
    expect(refusalText({ status: 502, error: 'http_502', message: '' }, translator('fr'))).toBe(
      'Le serveur a répondu 502.',
    );
  });
});
