/**
 * The app's small i18n layer: French by default, English available. The locale comes from the browser the first
 * time, can be switched, and is remembered on the device.
 */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { formatMessage, type Params } from './format.ts';
import { fr, type MessageKey } from './fr.ts';

export type Locale = 'fr' | 'en';
export const LOCALES: readonly Locale[] = ['fr', 'en'];

/**
 * The catalogues this page holds: French, the default, always; English once chosen (its own chunk, precached, so
 * the first screen does not carry a language most pupils never pick).
 */
const held: Partial<Record<Locale, Record<MessageKey, string>>> = { fr };

export const hasCatalogue = (locale: Locale): boolean => held[locale] !== undefined;

/** Loads a locale's catalogue (once). */
export async function loadCatalogue(locale: Locale): Promise<void> {
  if (held[locale]) return;
  if (locale === 'en') held.en = (await import('./en.ts')).en;
}

/** Makes a catalogue held at once (tests, and anything that already imported it). */
export function holdCatalogue(locale: Locale, catalogue: Record<MessageKey, string>): void {
  held[locale] = catalogue;
}

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
  // Until a chosen catalogue has arrived (a few milliseconds from the precache), French rather than nothing.
  const catalogue = held[locale];
  if (!catalogue) return (key, params = {}) => formatMessage(fr[key], params, 'fr');
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
