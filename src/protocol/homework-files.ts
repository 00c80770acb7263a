/** What a pupil may attach to homework, shared by the app, the schemas and the server (which also sniffs the bytes). */

/** Photos of a page, images, PDF: the only types a homework file may declare, and so the only ones served back. */
export const HOMEWORK_FILE_TYPES = [
  'image/jpeg',
  'image/png',
  'image/webp',
  'image/heic',
  'image/heif',
  'application/pdf',
] as const;
export type HomeworkFileType = (typeof HOMEWORK_FILE_TYPES)[number];

/** Largest homework file the server takes. */
export const MAX_HOMEWORK_FILE_BYTES = 20 * 1024 * 1024;

/** True when `type` is one of HOMEWORK_FILE_TYPES exactly (no parameters, lower case). */
export const isHomeworkFileType = (type: string): type is HomeworkFileType =>
  (HOMEWORK_FILE_TYPES as readonly string[]).includes(type);
