/**
 * The app's small i18n layer: French by default, English available. The locale comes from the browser the first
 * time, can be switched, and is remembered on the device.
 */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { en } from './en.ts';
import { formatMessage, type Params } from './format.ts';
import { fr, type MessageKey } from './fr.ts';

export type Locale = 'fr' | 'en';
export const LOCALES: readonly Locale[] = ['fr', 'en'];
export const catalogues: Record<Locale, Record<MessageKey, string>> = { fr, en };

/** Where the choice is remembered. A persisted name: do not rename. */
export const LOCALE_STORAGE_KEY = 'cartable.locale';

/** The remembered locale, else the browser's first supported language, else French. */
export function detectLocale(stored: string | null, languages: readonly string[]): Locale {
  if (stored === 'fr' || stored === 'en') return stored;
  for (const lang of languages) {
    const base = lang.toLowerCase().split('-')[0];
    if (base === 'fr' || base === 'en') return base;
  }
  return 'fr';
}

export type Translate = (key: MessageKey, params?: Params) => string;

/** A translate function for one locale. */
export function translator(locale: Locale): Translate {
  const catalogue = catalogues[locale];
  return (key, params = {}) => formatMessage(catalogue[key], params, locale);
}

export interface I18n {
  locale: Locale;
  t: Translate;
  setLocale: (locale: Locale) => void;
}

export const I18nContext = createContext<I18n>({ locale: 'fr', t: translator('fr'), setLocale: () => undefined });

/** The current locale and its translate function. */
export const useI18n = (): I18n => useContext(I18nContext);

export type { MessageKey };
