/** Both catalogues at once, held by the i18n layer: for tests and tools, never imported by the app's first screen. */
import { en } from './en.ts';
import { fr, type MessageKey } from './fr.ts';
import { holdCatalogue, type Locale } from './index.ts';

holdCatalogue('en', en);

export const catalogues: Record<Locale, Record<MessageKey, string>> = { fr, en };
