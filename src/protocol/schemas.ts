/**
 * Wire schemas shared by the server (validation, OpenAPI) and the client (types only: `import type`).
 * Declared once with TypeBox: each schema is plain JSON Schema and its TypeScript type is `Static<typeof X>`.
 */
import { Type, type Static } from 'typebox';
import { HOMEWORK_FILE_TYPES, HOMEWORK_LIMITS } from './homework-files.ts';
import { ISO_WEEK_PATTERN } from './iso-week.ts';
import { DATE_TIME_PATTERN, NO_NUL_PATTERN } from './storable.ts';
import { SUBMISSION_BATCH_LIMITS } from './submission-batch.ts';

/** Every 4xx/5xx answer: a stable machine code and a human sentence. */
export const ErrorBody = Type.Object({
  error: Type.String({ description: 'stable machine-readable code, e.g. "not_found"' }),
  message: Type.String(),
  currentVersion: Type.Optional(
    Type.Integer({ description: 'stale_base (409): the version the week is at now, to merge with' }),
  ),
});
export type ErrorBody = Static<typeof ErrorBody>;

export const Sha256 = Type.String({ pattern: '^[0-9a-f]{64}$', description: 'lower-case hex SHA-256' });
export const IsoWeek = Type.String({ pattern: ISO_WEEK_PATTERN, description: 'ISO 8601 week, e.g. 2026-W48' });
export const Id = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' });

/** Text a client sends: at most `maxLength` characters and nothing a backend cannot store (storable.ts). */
export const Text = (maxLength: number, options: { minLength?: number; description?: string } = {}) =>
  Type.String({ ...options, maxLength, pattern: NO_NUL_PATTERN });

/** A date-time a client sends: the routes store canonicalDateTime() of it (storable.ts). */
export const DateTimeInput = (description?: string) =>
  Type.String({
    format: 'date-time',
    pattern: DATE_TIME_PATTERN,
    maxLength: 40,
    ...(description ? { description } : {}),
  });

export const Role = Type.Union([Type.Literal('pupil'), Type.Literal('teacher'), Type.Literal('admin')]);
export type Role = Static<typeof Role>;

export const SignInBody = Type.Object(
  {
    username: Text(64, { minLength: 1 }),
    secret: Text(128, { minLength: 1 }),
  },
  { additionalProperties: false },
);
export type SignInBody = Static<typeof SignInBody>;

export const UserView = Type.Object({ id: Id, displayName: Type.String(), role: Role });
export type UserView = Static<typeof UserView>;

export const SignInReply = Type.Object({
  token: Type.String({ description: 'access token (minutes): send as "Authorization: Bearer <token>"' }),
  expiresAt: Type.String({ format: 'date-time' }),
  refreshToken: Type.String({ description: 'renews the access token at POST /api/auth/refresh; single use' }),
  refreshExpiresAt: Type.String({ format: 'date-time' }),
  deviceToken: Type.String({
    description: "may only send this pupil's homework and fetch their classes' weeks: what a shared tablet keeps",
  }),
  deviceExpiresAt: Type.String({ format: 'date-time' }),
  user: UserView,
});

export const RefreshBody = Type.Object(
  { refreshToken: Type.String({ minLength: 20, maxLength: 200 }) },
  { additionalProperties: false },
);
export type RefreshBody = Static<typeof RefreshBody>;

export const RefreshReply = Type.Object({
  token: Type.String(),
  expiresAt: Type.String({ format: 'date-time' }),
  refreshToken: Type.String(),
  refreshExpiresAt: Type.String({ format: 'date-time' }),
});
export type RefreshReply = Static<typeof RefreshReply>;
export type SignInReply = Static<typeof SignInReply>;

export const ClassView = Type.Object({
  id: Id,
  name: Type.String(),
  schoolName: Type.String(),
  timeZone: Type.String({ description: 'IANA time zone of the school, e.g. Europe/Paris' }),
});
export type ClassView = Static<typeof ClassView>;

export const MeReply = Type.Object({ user: UserView, classes: Type.Array(ClassView) });
export type MeReply = Static<typeof MeReply>;

/** A file of a week, addressed by its content: GET /api/files/{sha256} never changes. */
export const FileRef = Type.Object({
  sha256: Sha256,
  name: Type.String({ description: 'display name only, never used as a path' }),
  type: Type.String({ description: 'media type, e.g. image/png' }),
  size: Type.Integer({ minimum: 0 }),
});
export type FileRef = Static<typeof FileRef>;

export const Lesson = Type.Object({
  id: Id,
  title: Type.String(),
  order: Type.Integer(),
  body: Type.String({ description: 'Markdown; attachments are referenced by their name' }),
  attachments: Type.Array(FileRef),
});
export type Lesson = Static<typeof Lesson>;

export const Assignment = Type.Object({
  id: Id,
  title: Type.String(),
  instructions: Type.String({ description: 'Markdown' }),
  dueAt: Type.String({ format: 'date-time' }),
});
export type Assignment = Static<typeof Assignment>;

/** The immutable description of one published version of a class's week. */
export const WeekManifest = Type.Object({
  format: Type.Literal(1),
  classId: Id,
  className: Type.String(),
  week: IsoWeek,
  version: Type.Integer({ minimum: 1 }),
  publishedAt: Type.String({ format: 'date-time' }),
  lessons: Type.Array(Lesson),
  assignments: Type.Array(Assignment),
});
export type WeekManifest = Static<typeof WeekManifest>;

export const WeekSummary = Type.Object({ week: IsoWeek, version: Type.Integer(), etag: Type.String() });
export type WeekSummary = Static<typeof WeekSummary>;

export const WeekListReply = Type.Object({ weeks: Type.Array(WeekSummary) });
export type WeekListReply = Static<typeof WeekListReply>;

export const HealthReply = Type.Object({ status: Type.Literal('ok'), database: Type.Literal('ok') });
export type HealthReply = Static<typeof HealthReply>;

/** What an instance measured it can take (capacity-meter.ts), as /api/ready shows it to people and load balancers. */
export const CapacityStatus = Type.Object({
  writesPerSecond: Type.Number({ description: 'sustainable writes per second this instance measured' }),
  source: Type.Union([Type.Literal('configured'), Type.Literal('projected'), Type.Literal('saturated')], {
    description: 'SERVER_CAPACITY until measured; then projected from busy time, or measured while saturated',
  }),
  concurrencyLimit: Type.Integer({ description: 'write slots, as the adaptive limit learnt them' }),
  deploymentWritesPerSecond: Type.Number({ description: 'the sum over the instances reporting to this database' }),
  instances: Type.Integer({ minimum: 1 }),
});
export type CapacityStatus = Static<typeof CapacityStatus>;

export const ReadyReply = Type.Object({
  status: Type.Literal('ok'),
  database: Type.Literal('ok'),
  capacity: Type.Optional(CapacityStatus),
});

/** A file a pupil attaches to homework: uploaded by content (PUT /api/uploads/{sha256}) before the submission. */
export const SubmittedFile = Type.Object(
  {
    sha256: Sha256,
    name: Text(200, { minLength: 1, description: 'display name only, never used as a path' }),
    type: Type.Enum(HOMEWORK_FILE_TYPES, {
      description: 'one of the homework file types; the bytes uploaded must be of this type',
    }),
    size: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type SubmittedFile = Static<typeof SubmittedFile>;

/** PUT /api/submissions/{id}: the id is made on the device and is the idempotency key. */
export const SubmissionBody = Type.Object(
  {
    classId: Id,
    week: IsoWeek,
    assignmentId: Id,
    text: Text(100_000),
    files: Type.Array(SubmittedFile, { maxItems: HOMEWORK_LIMITS.maxFiles }),
    submittedAt: DateTimeInput('when the pupil pressed Envoyer, on the device clock'),
  },
  { additionalProperties: false },
);
export type SubmissionBody = Static<typeof SubmissionBody>;

export const SubmissionId = Type.String({
  pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
  description: 'a UUID made on the device',
});

/** What the server signed: the pupil can prove what was submitted, and when. */
export const ReceiptPayload = Type.Object({
  submissionId: SubmissionId,
  pupilId: Id,
  classId: Id,
  assignmentId: Id,
  contentHash: Sha256,
  submittedAt: Type.String({ format: 'date-time' }),
  receivedAt: Type.String({ format: 'date-time' }),
  keyId: Type.String(),
});
export type ReceiptPayload = Static<typeof ReceiptPayload>;

/** A receipt: the payload as signed bytes (JSON text) and its Ed25519 signature (base64url). */
export const Receipt = Type.Object({
  payload: Type.String({ description: 'the JSON text that was signed' }),
  signature: Type.String({ description: 'Ed25519 over the UTF-8 bytes of payload, base64url' }),
  receivedAt: Type.String({ format: 'date-time' }),
});
export type Receipt = Static<typeof Receipt>;

/**
 * One submission of a batch: its id (made on the device) and either its body, or the body sealed to the server
 * (`seal`: what the SEAL_HEADER of a single PUT carries; `sealed`: the ciphertext, base64url).
 */
export const SubmissionBatchItem = Type.Union([
  Type.Object({ id: SubmissionId, submission: SubmissionBody }, { additionalProperties: false }),
  Type.Object(
    {
      id: SubmissionId,
      seal: Type.String({ maxLength: 1024, pattern: '^v1\\.[A-Za-z0-9_.-]+$' }),
      sealed: Type.String({ maxLength: SUBMISSION_BATCH_LIMITS.maxBodyBytes, pattern: '^[A-Za-z0-9_-]*$' }),
    },
    { additionalProperties: false },
  ),
]);
export type SubmissionBatchItem = Static<typeof SubmissionBatchItem>;

export const SubmissionBatchBody = Type.Object(
  { items: Type.Array(SubmissionBatchItem, { minItems: 1, maxItems: SUBMISSION_BATCH_LIMITS.maxItems }) },
  { additionalProperties: false },
);
export type SubmissionBatchBody = Static<typeof SubmissionBatchBody>;

/** Each item's answer, as its own PUT would have given it: 201/200 with the receipt, or the error's status and code. */
export const SubmissionBatchResult = Type.Object({
  id: SubmissionId,
  status: Type.Integer(),
  receipt: Type.Optional(Receipt),
  error: Type.Optional(Type.String()),
  message: Type.Optional(Type.String()),
});
export type SubmissionBatchResult = Static<typeof SubmissionBatchResult>;

export const SubmissionBatchReply = Type.Object({ results: Type.Array(SubmissionBatchResult) });
export type SubmissionBatchReply = Static<typeof SubmissionBatchReply>;

export const ServerKey = Type.Object({
  keyId: Type.String(),
  algorithm: Type.Literal('Ed25519'),
  publicKey: Type.String({ description: 'SPKI DER, base64' }),
});
export const SealingKey = Type.Object({
  keyId: Type.String(),
  algorithm: Type.Literal('ECDH-P256'),
  publicKey: Type.String({ description: 'raw uncompressed point, base64url' }),
});
export type SealingKey = Static<typeof SealingKey>;
export const KeysReply = Type.Object({
  keys: Type.Array(ServerKey),
  sealing: Type.Optional(SealingKey),
});
export type KeysReply = Static<typeof KeysReply>;

export const UploadReply = Type.Object({
  sha256: Sha256,
  size: Type.Integer(),
  stored: Type.Boolean({ description: 'false when it was already there' }),
});

/**
 * How a teacher assessed a copy: nothing, a level of the French "socle" (acquis, en cours d'acquisition, non acquis),
 * or a mark out of N.
 */
export const Assessment = Type.Union([
  Type.Object({ kind: Type.Literal('none') }, { additionalProperties: false }),
  Type.Object(
    {
      kind: Type.Literal('level'),
      level: Type.Union([Type.Literal('acquis'), Type.Literal('en_cours'), Type.Literal('non_acquis')]),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      kind: Type.Literal('mark'),
      mark: Type.Number({ minimum: 0, maximum: 1000, description: 'at most outOf' }),
      outOf: Type.Integer({ minimum: 1, maximum: 1000 }),
    },
    { additionalProperties: false },
  ),
]);
export type Assessment = Static<typeof Assessment>;

/** PUT /api/feedback/{id}: a teacher returns a pupil's copy. A new id is a new version; the id is made on the device. */
export const FeedbackBody = Type.Object(
  {
    submissionId: SubmissionId,
    comment: Text(20_000, { description: 'Markdown, shown sanitised like lessons' }),
    assessment: Assessment,
    writtenAt: DateTimeInput('when the teacher pressed Rendre la copie, on the device clock'),
    files: Type.Optional(
      Type.Array(SubmittedFile, {
        maxItems: 5,
        description: 'files returned with it (an annotated photo, a PDF): the teacher’s own uploads',
      }),
    ),
  },
  { additionalProperties: false },
);
export type FeedbackBody = Static<typeof FeedbackBody>;

/** One returned copy, as its pupil (and the teacher) read it. */
export const FeedbackView = Type.Object({
  feedbackId: SubmissionId,
  submissionId: SubmissionId,
  classId: Id,
  week: IsoWeek,
  assignmentId: Id,
  version: Type.Integer({
    minimum: 1,
    description: '1 for the first return of this copy, then one more per correction',
  }),
  comment: Type.String(),
  assessment: Assessment,
  returnedAt: Type.String({ format: 'date-time', description: 'when the server received it' }),
  files: Type.Array(SubmittedFile),
  seenAt: Type.Optional(Type.String({ format: 'date-time', description: 'when the pupil first opened it' })),
});
export type FeedbackView = Static<typeof FeedbackView>;

export const FeedbackReply = Type.Object({ feedback: FeedbackView });
export type FeedbackReply = Static<typeof FeedbackReply>;

/** GET /api/feedback: the newest version of every returned copy of the signed-in pupil (ETag, 304). */
export const FeedbackListReply = Type.Object({ feedback: Type.Array(FeedbackView) });
export type FeedbackListReply = Static<typeof FeedbackListReply>;

/** The same list fetched with a device token: the JSON of `feedback` sealed to the profile key bound to the token. */
export const SealedFeedbackReply = Type.Object({
  sealed: Type.Object({ e: Type.String(), iv: Type.String(), ct: Type.String() }),
  /** Which returned files exist, in clear (hashes and sizes only), so the tablet fetches those it lacks, sealed. */
  files: Type.Array(Type.Object({ feedbackId: SubmissionId, sha256: Sha256, size: Type.Integer() })),
});
export type SealedFeedbackReply = Static<typeof SealedFeedbackReply>;

/** POST /api/auth/device-key: binds the profile's public key to the device token of this sign-in (once). */
export const DeviceKeyBody = Type.Object(
  {
    deviceToken: Type.String({ minLength: 20, maxLength: 200, pattern: '^[A-Za-z0-9_-]+$' }),
    publicKey: Type.String({ minLength: 80, maxLength: 100, pattern: '^[A-Za-z0-9_-]+$' }),
  },
  { additionalProperties: false },
);
export type DeviceKeyBody = Static<typeof DeviceKeyBody>;

/** PUT /api/feedback/{id}/seen: the pupil opened it (idempotent: the first time is kept). */
export const FeedbackSeenBody = Type.Object(
  { seenAt: DateTimeInput('when the pupil opened it, on the device clock') },
  { additionalProperties: false },
);
export type FeedbackSeenBody = Static<typeof FeedbackSeenBody>;

/** Where a pupil stands on an assignment, as the server knows it. */
export const AssignmentStanding = Type.Union([
  Type.Literal('pas_rendu'),
  Type.Literal('en_attente'),
  Type.Literal('rendu'),
  Type.Literal('corrige'),
  Type.Literal('vu'),
]);
export type AssignmentStanding = Static<typeof AssignmentStanding>;

/** GET /api/classes/{classId}/readiness?week=: "Qui est prêt ?", per pupil of the class. */
export const ReadinessReply = Type.Object({
  week: IsoWeek,
  /** The week's current version; absent when nothing is published for it. */
  latestVersion: Type.Optional(Type.Integer()),
  assignments: Type.Array(Type.Object({ assignmentId: Id, title: Type.String() })),
  pupils: Type.Array(
    Type.Object({
      pupilId: Id,
      displayName: Type.String(),
      /** The newest version of the week one of their devices holds (from its manifest requests). */
      holdsVersion: Type.Optional(Type.Integer()),
      ready: Type.Boolean({ description: 'a device of theirs holds the current version' }),
      lastContactAt: Type.Optional(
        Type.String({
          format: 'date-time',
          description: 'when a device of theirs last asked for a week of this class',
        }),
      ),
      assignments: Type.Array(Type.Object({ assignmentId: Id, standing: AssignmentStanding })),
    }),
  ),
});
export type ReadinessReply = Static<typeof ReadinessReply>;

/** GET /api/school/devices: the school's shared tablets as they last reported (counts and versions, no content). */
export const SchoolDevicesReply = Type.Object({
  devices: Type.Array(
    Type.Object({
      deviceId: Type.String(),
      seat: Type.Optional(Type.Integer({ description: 'its number in the school (prefetch slots)' })),
      lastContactAt: Type.String({ format: 'date-time' }),
      queued: Type.Integer({ minimum: 0, description: 'items waiting in its outbox at its last check' }),
      weeks: Type.Array(
        Type.Object({
          classId: Id,
          week: IsoWeek,
          version: Type.Integer(),
          latestVersion: Type.Optional(Type.Integer()),
        }),
      ),
    }),
  ),
});
export type SchoolDevicesReply = Static<typeof SchoolDevicesReply>;

/** One version of a pupil's work as the teacher sees it. */
export const SubmissionVersion = Type.Object({
  submissionId: SubmissionId,
  text: Type.String(),
  files: Type.Array(SubmittedFile),
  submittedAt: Type.String({ format: 'date-time' }),
  receivedAt: Type.String({ format: 'date-time' }),
  late: Type.Boolean({ description: 'submitted on the device after the due date' }),
  conflict: Type.Boolean({ description: 'another version came with the same id: both are kept' }),
  feedback: Type.Optional(FeedbackView),
});
export type SubmissionVersion = Static<typeof SubmissionVersion>;

export const AssignmentSubmissionsReply = Type.Object({
  assignmentId: Id,
  title: Type.String(),
  dueAt: Type.String({ format: 'date-time' }),
  pupils: Type.Array(
    Type.Object({ pupilId: Id, displayName: Type.String(), submissions: Type.Array(SubmissionVersion) }),
  ),
});
export type AssignmentSubmissionsReply = Static<typeof AssignmentSubmissionsReply>;

/** GET /api/classes/{classId}/assignments: every assignment of the class, removed ones included (teachers). */
export const ClassAssignmentsReply = Type.Object({
  assignments: Type.Array(
    Type.Object({
      week: IsoWeek,
      assignmentId: Id,
      title: Type.String(),
      dueAt: Type.String({ format: 'date-time' }),
      inWeek: Type.Boolean({ description: 'still in the newest version of its week' }),
      handedIn: Type.Integer({ minimum: 0, description: 'pupils who handed something in' }),
    }),
  ),
});
export type ClassAssignmentsReply = Static<typeof ClassAssignmentsReply>;

/** GET /api/sync-policy: when the school's devices prefetch (src/sync/slot-planner.ts). */
const LocalTime = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', description: 'local time, e.g. 08:00' });
export const SendPeak = Type.Object({
  start: LocalTime,
  end: LocalTime,
  days: Type.Array(Type.Integer({ minimum: 1, maximum: 7 })),
  admit: Type.Number({ exclusiveMinimum: 0, maximum: 1, description: 'share of new work sent at once' }),
  spreadSeconds: Type.Integer({ minimum: 0, description: 'the rest is sent within this long after the peak' }),
});
export type SendPeak = Static<typeof SendPeak>;

export const SyncPolicyReply = Type.Object({
  timeZone: Type.String(),
  windowStart: Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', description: 'local time, e.g. 19:00' }),
  windowEnd: Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', description: 'local time, e.g. 07:00' }),
  days: Type.Array(Type.Integer({ minimum: 1, maximum: 7 }), { description: 'ISO weekdays on which a window starts' }),
  keepPreviousWeeks: Type.Integer({ minimum: 0 }),
  sendPeaks: Type.Optional(
    Type.Array(SendPeak, { description: 'peak hours: new work created then is partly held back (send-peaks.ts)' }),
  ),
  homework: Type.Optional(
    Type.Object(
      {
        maxFileBytes: Type.Integer({ minimum: 1 }),
        maxTotalBytes: Type.Integer({ minimum: 1 }),
        maxFiles: Type.Integer({ minimum: 0 }),
        types: Type.Array(Type.String()),
      },
      { description: 'what one piece of homework may carry (src/protocol/homework-files.ts)' },
    ),
  ),
});
export type SyncPolicyReply = Static<typeof SyncPolicyReply>;

export const DeviceId = Type.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' });
export const DeviceReply = Type.Object({
  deviceId: DeviceId,
  seat: Type.Integer({ minimum: 0, description: 'this device’s place in its school, for its prefetch slot' }),
});
export type DeviceReply = Static<typeof DeviceReply>;

/** A lesson as a teacher publishes it: attachments name files already uploaded (PUT /api/lesson-files/{sha256}). */
export const PublishLesson = Type.Object(
  {
    id: Id,
    title: Text(200, { minLength: 1 }),
    order: Type.Integer({ minimum: 0, maximum: 10_000 }),
    body: Text(200_000, { description: 'Markdown' }),
    attachments: Type.Array(
      Type.Object({ sha256: Sha256, name: Text(200, { minLength: 1 }) }, { additionalProperties: false }),
      { maxItems: 50 },
    ),
  },
  { additionalProperties: false },
);

export const PublishBody = Type.Object(
  {
    className: Type.Optional(Text(200)),
    lessons: Type.Array(PublishLesson, { maxItems: 100 }),
    assignments: Type.Array(
      Type.Object(
        {
          id: Id,
          title: Text(200, { minLength: 1 }),
          instructions: Text(100_000),
          dueAt: DateTimeInput(),
        },
        { additionalProperties: false },
      ),
      { maxItems: 50 },
    ),
    releaseAt: Type.Optional(DateTimeInput('hidden from pupils until then')),
    baseVersion: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 1_000_000,
        description:
          'the version of the week this publication was edited from (0, or absent, for a week not published yet); ' +
          'refused with 409 stale_base when the week has moved on since',
      }),
    ),
  },
  { additionalProperties: false },
);
export type PublishBody = Static<typeof PublishBody>;

export const PublishReply = Type.Object({
  classId: Id,
  week: IsoWeek,
  version: Type.Integer(),
  etag: Type.String(),
  publishedAt: Type.String({ format: 'date-time' }),
  releaseAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
export type PublishReply = Static<typeof PublishReply>;

export const PublicationsReply = Type.Object({ publications: Type.Array(PublishReply) });
export type PublicationsReply = Static<typeof PublicationsReply>;
