/** Both catalogues at once, held by the i18n layer: for tests and tools, never imported by the app's first screen. */
import { en } from './en.ts';
import { fr as frFirstScreen, type MessageKey } from './fr.ts';
import { frScreens } from './fr-screens.ts';
import { holdCatalogue, type Locale } from './index.ts';

const fr: Record<MessageKey, string> = { ...frFirstScreen, ...frScreens };
holdCatalogue('fr', fr);
holdCatalogue('en', en);

export const catalogues: Record<Locale, Record<MessageKey, string>> = { fr, en };
