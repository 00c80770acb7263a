/**
 * What every backend can store, declared once for the schemas that validate input (schemas.ts) and the routes.
 *
 * - Text: PostgreSQL's `text` refuses the NUL character that SQLite stores; a JSON string may carry it as \u0000.
 *   Lengths are counted in code points, as both JSON Schema's maxLength and PostgreSQL's varchar(n) count them.
 * - Date-times: JSON Schema's `date-time` format accepts what Date.parse does not (a "+01" offset, a leap second
 *   23:59:60, a fraction of any length, 30 February). One pattern says what is accepted; canonicalDateTime is the one
 *   parser that turns it into the form stored and signed (toISOString, 24 characters).
 */

/** A string with no NUL character (a JSON Schema pattern, compiled by ajv with the u flag). */
export const NO_NUL_PATTERN = '^[^\\u0000]*$';

/** True when `text` can be stored on every backend. */
export const isStorableText = (text: string): boolean => !text.includes('\u0000');

/** RFC 3339 as the API takes it: seconds 00-59, a fraction of at most 9 digits, Z or an offset ±hh:mm. */
export const DATE_TIME_PATTERN =
  '^\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])T([01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(\\.\\d{1,9})?(Z|[+-]([01]\\d|2[0-3]):[0-5]\\d)$';
const DATE_TIME = new RegExp(DATE_TIME_PATTERN);

/**
 * The canonical form (2026-12-01T09:00:00.000Z) of a date-time the API accepts, or undefined when it is not one
 * (wrong shape, or a day the month does not have).
 */
export function canonicalDateTime(text: string): string | undefined {
  // What devices send (toISOString): canonical already when it prints back the same (which also rules out 30 Feb).
  if (text.length === 24 && text.endsWith('Z')) {
    const ms = Date.parse(text);
    if (!Number.isNaN(ms) && new Date(ms).toISOString() === text) return text;
  }
  if (!DATE_TIME.test(text)) return undefined;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) return undefined;
  // Date.parse rolls 30 February over to 2 March: the calendar day written must be the one parsed, in its own offset.
  const offset = /([+-])(\d\d):(\d\d)$/.exec(text);
  const offsetMs = offset ? (offset[1] === '-' ? -1 : 1) * (Number(offset[2]) * 60 + Number(offset[3])) * 60_000 : 0;
  if (new Date(ms + offsetMs).toISOString().slice(0, 10) !== text.slice(0, 10)) return undefined;
  return new Date(ms).toISOString();
}
