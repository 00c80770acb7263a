/** What a lesson may carry, shared by the teacher's app, the publisher and the server (which also sniffs the bytes). */

/** Media types teachers may attach to lessons: documents, images, sound, video, plain text. Never HTML or SVG. */
export const LESSON_FILE_TYPES = [
  'application/pdf',
  'image/png',
  'image/jpeg',
  'image/webp',
  'image/gif',
  'audio/wav',
  'audio/mpeg',
  'audio/ogg',
  'audio/mp4',
  'video/mp4',
  'text/plain',
] as const;

/** Other names browsers and systems give the same types. */
export const LESSON_TYPE_ALIASES: Record<string, string> = {
  'audio/x-wav': 'audio/wav',
  'audio/wave': 'audio/wav',
  'audio/mp3': 'audio/mpeg',
  'image/jpg': 'image/jpeg',
  'audio/x-m4a': 'audio/mp4',
};

export const MAX_LESSON_FILE_BYTES = 50 * 1024 * 1024;

/** The canonical name of a declared media type ("audio/x-wav; x=y" → "audio/wav"). */
export const canonicalType = (type: string): string => {
  const t = type.split(';')[0]?.trim().toLowerCase() ?? '';
  return LESSON_TYPE_ALIASES[t] ?? t;
};

/** True when a teacher may attach a file of this declared type. */
export const isLessonFileType = (type: string): boolean =>
  (LESSON_FILE_TYPES as readonly string[]).includes(canonicalType(type));
