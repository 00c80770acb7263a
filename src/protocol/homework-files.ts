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

/**
 * What one piece of homework may carry: the one declaration the server enforces and publishes with its sync policy
 * (GET /api/sync-policy `homework`), and the app checks each picked file against, before anything is saved.
 */
export interface HomeworkLimits {
  maxFileBytes: number;
  maxTotalBytes: number;
  maxFiles: number;
  types: readonly string[];
}

export const HOMEWORK_LIMITS: HomeworkLimits = {
  maxFileBytes: MAX_HOMEWORK_FILE_BYTES,
  maxTotalBytes: 40 * 1024 * 1024,
  maxFiles: 20,
  types: HOMEWORK_FILE_TYPES,
};

export type HomeworkFileProblem =
  | { kind: 'type'; name: string }
  | { kind: 'size'; name: string; size: number; limit: number }
  | { kind: 'total'; size: number; limit: number }
  | { kind: 'count'; count: number; limit: number };

/** Every reason these files cannot go as one piece of homework, the file named (empty when they can). */
export function checkHomeworkFiles(
  files: readonly { name: string; type: string; size: number }[],
  limits: HomeworkLimits = HOMEWORK_LIMITS,
): HomeworkFileProblem[] {
  const problems: HomeworkFileProblem[] = [];
  for (const f of files) {
    if (!limits.types.includes(f.type)) problems.push({ kind: 'type', name: f.name });
    else if (f.size > limits.maxFileBytes)
      problems.push({ kind: 'size', name: f.name, size: f.size, limit: limits.maxFileBytes });
  }
  if (files.length > limits.maxFiles) problems.push({ kind: 'count', count: files.length, limit: limits.maxFiles });
  const total = files.reduce((sum, f) => sum + f.size, 0);
  if (total > limits.maxTotalBytes) problems.push({ kind: 'total', size: total, limit: limits.maxTotalBytes });
  return problems;
}

/** True when `type` is one of HOMEWORK_FILE_TYPES exactly (no parameters, lower case). */
export const isHomeworkFileType = (type: string): type is HomeworkFileType =>
  (HOMEWORK_FILE_TYPES as readonly string[]).includes(type);
