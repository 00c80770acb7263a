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
 * The catalogues this page holds: French, the default, from the start for the first screen's words, with the other
 * screens' words once one of them opens (fr-screens.ts); English once chosen. Each in its own chunk, precached, so
 * the first screen carries neither a language most pupils never pick nor the teacher's and admin's words.
 */
const held: Partial<Record<Locale, Partial<Record<MessageKey, string>>>> = { fr };
let frScreensHeld = false;

export const hasCatalogue = (locale: Locale): boolean => held[locale] !== undefined;

/** Loads a locale's catalogue (once). */
export async function loadCatalogue(locale: Locale): Promise<void> {
  if (held[locale]) return;
  if (locale === 'en') held.en = (await import('./en.ts')).en;
}

/**
 * Loads the words of the screens that load on demand, before one of them is drawn: the French ones (the fallback
 * of every locale) and the English catalogue when that is the locale (it holds every screen's words).
 */
export async function loadScreenMessages(locale: Locale): Promise<void> {
  if (!frScreensHeld) {
    const { frScreens } = await import('./fr-screens.ts');
    held.fr = { ...held.fr, ...frScreens };
    frScreensHeld = true;
  }
  await loadCatalogue(locale);
}

/** Makes a whole catalogue held at once (tests, and anything that already imported it). */
export function holdCatalogue(locale: Locale, catalogue: Record<MessageKey, string>): void {
  held[locale] = catalogue;
  if (locale === 'fr') frScreensHeld = true;
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
  // Read at each call, so words that arrived after the translator was made are found. Until a chosen catalogue has
  // arrived (a few milliseconds from the precache), French rather than nothing; a screen's words are loaded before
  // it is drawn (lazy-screen.tsx), and a key still missing shows as itself rather than as a blank.
  return (key, params = {}) => {
    const own = held[locale]?.[key];
    if (own !== undefined) return formatMessage(own, params, locale);
    const french = held.fr?.[key];
    return french !== undefined ? formatMessage(french, params, 'fr') : key;
  };
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
