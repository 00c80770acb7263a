/**
 * POST /api/submissions/batch: at most this many submissions in one request, and this many bytes of body (the route's
 * limit). Apart from schemas.ts so the device reads the limits without loading the schema builder.
 */
export const SUBMISSION_BATCH_LIMITS = { maxItems: 25, maxBodyBytes: 256 * 1024 } as const;
