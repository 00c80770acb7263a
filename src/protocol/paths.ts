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

/** Several submissions of one pupil in one request, each as idempotent as its own PUT (a device draining its queue). */
export const submissionBatchUrl = (): string => `${API_PREFIX}/submissions/batch`;

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

/** Sent with a week's manifest: Ed25519 over the manifest's exact bytes, base64url (docs/bundles.md). */
export const MANIFEST_SIGNATURE_HEADER = 'cartable-signature';
/** Sent with a week's manifest: which of the server's keys (GET /api/keys) signed it. */
export const MANIFEST_KEY_HEADER = 'cartable-key-id';

/** Sign-in, renewal of the access token, sign-out. */
export const signInUrl = (): string => `${API_PREFIX}/auth/sign-in`;
export const refreshUrl = (): string => `${API_PREFIX}/auth/refresh`;
export const signOutUrl = (): string => `${API_PREFIX}/auth/sign-out`;
/** The signed-in user and their classes. */
export const meUrl = (): string => `${API_PREFIX}/me`;

/** The server's public keys: they check manifests and receipts. */
export const keysUrl = (): string => `${API_PREFIX}/keys`;

/** The school's off-peak sync policy (windows in its time zone, days, weeks kept). */
export const syncPolicyUrl = (): string => `${API_PREFIX}/sync-policy`;

/** Registers this device (PUT with its id): the answer gives its seat, which spreads prefetch slots evenly. */
export const deviceUrl = (deviceId: string): string => `${API_PREFIX}/devices/${encodeURIComponent(deviceId)}`;

/** PUT: a teacher returns a copy (idempotent, the id made on the device). */
export const feedbackUrl = (id: string): string => `${API_PREFIX}/feedback/${id}`;

/**
 * Sent by a shared tablet with its week checks: `id=<device uuid>;queued=<n>`, the items waiting in its outbox
 * (a count, never content), so the school's admin sees each tablet's state (GET /api/school/devices). Personal
 * devices do not send it.
 */
export const DEVICE_REPORT_HEADER = 'cartable-device';

/** Reads DEVICE_REPORT_HEADER; undefined when absent or malformed. */
export function parseDeviceReport(value: string | undefined): { deviceId: string; queued: number } | undefined {
  const m = /^id=([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12});queued=(\d{1,7})$/.exec(value ?? '');
  return m?.[1] && m[2] ? { deviceId: m[1], queued: Number(m[2]) } : undefined;
}

/**
 * Sent with a pupil's returns check (GET /api/feedback): the homework of this pupil still waiting in this device's
 * queue, as `class/week/assignment` triples separated by commas (at most PENDING_MAX; none: the header is empty), so
 * their teacher's "Qui est prêt ?" can say "en attente d'envoi" instead of "pas rendu". Ids only, never content.
 */
export const PENDING_HEADER = 'cartable-pending';
export const PENDING_MAX = 50;

const PENDING_ITEM = /^[A-Za-z0-9_-]{1,64}\/\d{4}-W\d{2}\/[A-Za-z0-9_-]{1,64}$/;

/** Reads PENDING_HEADER: the triples, or undefined when absent or malformed. */
export function parsePending(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  if (value === '') return [];
  const items = value.split(',');
  return items.length <= PENDING_MAX && items.every((i) => PENDING_ITEM.test(i)) ? items : undefined;
}

/** GET: the school's shared tablets as they last reported (admins). */
export const schoolDevicesUrl = (): string => `${API_PREFIX}/school/devices`;

/** GET: a file returned with a copy. */
export const feedbackFileUrl = (id: string, sha256: string): string => `${API_PREFIX}/feedback/${id}/files/${sha256}`;

/**
 * On a returned file fetched with a device token: `<iv>.<sealed key>`, the AES-256-GCM IV of the body and its key
 * sealed to the profile (base64url of the Sealed JSON); only the profile's private key opens it.
 */
export const SEALED_FILE_HEADER = 'cartable-sealed-file';

/** PUT: the pupil opened a returned copy. */
export const feedbackSeenUrl = (id: string): string => `${API_PREFIX}/feedback/${id}/seen`;

/** POST: binds a profile's public key to its device token, so returns fetched with that token come sealed to it. */
export const deviceKeyUrl = (): string => `${API_PREFIX}/auth/device-key`;

/** GET: every returned copy of the signed-in pupil, newest version of each (ETag, 304). */
export const myFeedbackUrl = (): string => `${API_PREFIX}/feedback`;

/** GET: "Qui est prêt ?" for a class and a week (teachers). */
export const readinessUrl = (classId: string, isoWeek: string): string =>
  `${API_PREFIX}/classes/${encodeURIComponent(classId)}/readiness?week=${isoWeek}`;

/** Where a teacher uploads (PUT) or checks (GET, HEAD) a lesson file by its hash. */
export const lessonFileUrl = (sha256: string): string => `${API_PREFIX}/lesson-files/${sha256}`;

/** The idempotent PUT that publishes a new version of a week: the publication id is made on the device. */
export const publicationUrl = (classId: string, isoWeek: string, publishId: string): string =>
  `${weekManifestUrl(classId, isoWeek)}/publications/${publishId}`;

/** GET: the newest version of a week, scheduled ones included (teachers): what an editor starts from and merges with. */
export const latestWeekUrl = (classId: string, isoWeek: string): string =>
  `${API_PREFIX}/classes/${encodeURIComponent(classId)}/weeks/${isoWeek}/latest`;

/**
 * A request body sealed to the server (ECDH P-256 + HKDF-SHA256 + AES-256-GCM), so a shared tablet can keep a
 * pupil's homework as ciphertext and still send it once the pupil has left. The header is
 * `v1.<keyId>.<ephemeral public key>.<wrap iv>.<wrapped body key>.<body iv>` (base64url parts); the body is the
 * AES-GCM ciphertext of the plain body under the body key. The server opens it before any route sees the body.
 */
export const SEAL_HEADER = 'cartable-seal';
/** HKDF's info for sealed keys (a persisted name: never change it, add a version). */
export const SEAL_INFO = 'cartable-seal v1';
