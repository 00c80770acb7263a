/** URL builders shared by client and server so the two never drift apart. */

export const API_PREFIX = '/api';

/** Where the immutable bytes of a file live. */
export const fileUrl = (sha256: string): string => `${API_PREFIX}/files/${sha256}`;

/** The manifest of the current published version of a class's week. */
export const weekManifestUrl = (classId: string, isoWeek: string): string =>
  `${API_PREFIX}/classes/${encodeURIComponent(classId)}/weeks/${isoWeek}`;

export const weekListUrl = (classId: string): string => `${API_PREFIX}/classes/${encodeURIComponent(classId)}/weeks`;

/** Where a pupil's homework file is uploaded (PUT) or checked (HEAD) by its hash. */
export const uploadUrl = (sha256: string): string => `${API_PREFIX}/uploads/${sha256}`;

/** The idempotent PUT of a submission: the id is made on the device. */
export const submissionUrl = (id: string): string => `${API_PREFIX}/submissions/${id}`;

/**
 * Sent with a 503 or 429 beside Retry-After: over how many seconds the server wants the clients it refused to spread
 * their next attempts (it knows its backlog and capacity; a device cannot know how many others are waiting).
 */
export const RETRY_SPREAD_HEADER = 'cartable-retry-spread';

/**
 * Sent with every API answer: the period, in seconds, over which this server wants its devices to spread their
 * attempts while it cannot be reached (about its pupils divided by its capacity). A device retries on its own fixed
 * phase of that period, so when the server comes back they return evenly, not all at once.
 */
export const RECOVERY_PERIOD_HEADER = 'cartable-recovery-period';
