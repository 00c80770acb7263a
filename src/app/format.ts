/** Dates and sizes for people, in their language and the school's time zone. */
import type { Translate } from './i18n/index.ts';

/** Building an Intl.DateTimeFormat costs far more than using one: keep one per locale and time zone. */
const dueFormats = new Map<string, Intl.DateTimeFormat>();

export function formatDue(iso: string, locale: string, timeZone: string): string {
  const key = `${locale}|${timeZone}`;
  let format = dueFormats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(locale === 'fr' ? 'fr-FR' : 'en-GB', {
      weekday: 'long',
      day: 'numeric',
      month: 'long',
      hour: '2-digit',
      minute: '2-digit',
      timeZone,
    });
    dueFormats.set(key, format);
  }
  return format.format(new Date(iso));
}

export function formatDay(isoDate: string, locale: string): string {
  return new Intl.DateTimeFormat(locale === 'fr' ? 'fr-FR' : 'en-GB', {
    day: 'numeric',
    month: 'long',
    timeZone: 'UTC',
  }).format(new Date(`${isoDate}T12:00:00Z`));
}

export function formatSize(bytes: number, t: Translate, locale: string): string {
  const nf = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });
  if (bytes < 1024 * 1024) return t('size.kb', { n: nf.format(Math.max(1, Math.round(bytes / 1024))) });
  return t('size.mb', { n: nf.format(bytes / 1024 / 1024) });
}
