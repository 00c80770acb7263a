/** Dates and sizes for people, in their language and the school's time zone. */
import type { Translate } from './i18n/index.ts';

/** Building an Intl.DateTimeFormat costs far more than using one: keep one per locale and time zone. */
const dueFormats = new Map<string, Intl.DateTimeFormat>();

/** A date and time in one format everywhere: "jeudi 3 décembre à 16 h 30", "Thursday 3 December at 16:30". */
export function formatDue(iso: string, locale: string, timeZone: string): string {
  const key = `${locale}|${timeZone}`;
  let format = dueFormats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(locale === 'fr' ? 'fr-FR' : 'en-GB', {
      weekday: 'long',
      day: 'numeric',
      month: 'long',
      timeZone,
    });
    dueFormats.set(key, format);
  }
  const ms = Date.parse(iso);
  const day = format.format(ms);
  const time = formatClock(ms, locale, timeZone);
  return locale === 'fr' ? `${day} à ${time}` : `${day} at ${time}`;
}

/** A time of day the way people say it: "8 h 47" in French, "08:47" in English. */
export function formatClock(epochMs: number, locale: string, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-GB', {
    hour: 'numeric',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZone,
  }).formatToParts(new Date(epochMs));
  const hour = Number(parts.find((p) => p.type === 'hour')?.value ?? 0);
  const minute = parts.find((p) => p.type === 'minute')?.value ?? '00';
  return locale === 'fr' ? `${hour} h ${minute}` : `${String(hour).padStart(2, '0')}:${minute}`;
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
  if (bytes < 1024 ** 3) return t('size.mb', { n: nf.format(bytes / 1024 / 1024) });
  return t('size.gb', { n: nf.format(bytes / 1024 ** 3) });
}

/** A coming moment the way people say it: "aujourd’hui à 21 h 14", "demain à 3 h 02", "jeudi à 19 h 40". */
export function formatWhen(epochMs: number, nowMs: number, t: Translate, locale: string, timeZone: string): string {
  const time = formatClock(epochMs, locale, timeZone);
  const dayOf = (ms: number) =>
    new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(ms);
  if (dayOf(epochMs) === dayOf(nowMs)) return t('when.today', { time });
  if (dayOf(epochMs) === dayOf(nowMs + 86_400_000)) return t('when.tomorrow', { time });
  const day = new Intl.DateTimeFormat(locale === 'fr' ? 'fr-FR' : 'en-GB', { weekday: 'long', timeZone }).format(
    epochMs,
  );
  return t('when.day', { day, time });
}
