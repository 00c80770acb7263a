/** The server database's tables as Kysely sees them. Timestamps are ISO-8601 strings: portable and sortable. */
import type { ColumnType, Kysely } from 'kysely';

export interface SchoolsTable {
  id: string;
  name: string;
  time_zone: string;
  created_at: string;
}

export interface UsersTable {
  id: string;
  school_id: string;
  role: 'pupil' | 'teacher' | 'admin';
  username: string;
  display_name: string;
  secret_hash: string;
  created_at: string;
}

export interface ClassesTable {
  id: string;
  school_id: string;
  name: string;
  teacher_id: string;
  created_at: string;
}

export interface ClassPupilsTable {
  class_id: string;
  pupil_id: string;
}

export interface SessionsTable {
  token_hash: string;
  user_id: string;
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
  /** access (short-lived), refresh (renews access), device (sends homework, reads the class's weeks). */
  kind: ColumnType<TokenKind, TokenKind | undefined, TokenKind>;
  /** The sign-in a token descends from: revoking it revokes the access and refresh tokens it issued. */
  family: string | null;
  /** A device token's profile public key (raw P-256, base64url), bound once (migration 0009). */
  seal_key: ColumnType<string | null, string | null | undefined, string | null>;
}

export type TokenKind = 'access' | 'refresh' | 'device';

export interface FilesTable {
  sha256: string;
  size: number;
  type: string;
  created_at: string;
}

export interface WeekVersionsTable {
  class_id: string;
  week: string;
  version: number;
  manifest: string;
  etag: string;
  published_at: string;
  release_at: string | null;
  /** Ed25519 over the manifest's UTF-8 bytes, base64url; null for rows published before signing existed. */
  signature: string | null;
  key_id: string | null;
  /** The client's id for the publication (idempotent publish), null for the seed and older rows. */
  publish_id: string | null;
}

/** A device's seat in one school (key: school_id, id). */
export interface DeviceSeatsTable {
  id: string;
  school_id: string;
  /** 0, 1, 2… per school, in order of registration. */
  seat: number;
  created_at: string;
}

export interface AssignmentsTable {
  class_id: string;
  week: string;
  assignment_id: string;
  title: string;
  due_at: string;
}

/** Which users uploaded a homework file: only they may learn of it or attach it (key: sha256, user_id). */
export interface UploadOwnersTable {
  sha256: string;
  user_id: string;
  created_at: string;
}

export interface UploadsTable {
  sha256: string;
  size: number;
  type: string;
  uploader_id: string;
  created_at: string;
}

export interface SubmissionsTable {
  id: string;
  pupil_id: string;
  class_id: string;
  week: string;
  assignment_id: string;
  content_hash: string;
  text: string;
  /** JSON array of SubmittedFile. */
  files: string;
  submitted_at: string;
  received_at: string;
  receipt_payload: string;
  receipt_signature: string;
}

export interface SubmissionVersionsTable {
  submission_id: string;
  content_hash: string;
  pupil_id: string;
  text: string;
  files: string;
  submitted_at: string;
  received_at: string;
}

export interface SigningKeysTable {
  key_id: string;
  /** SPKI DER, base64. */
  public_key: string;
  /** PKCS#8 DER, base64. */
  private_key: string;
  created_at: string;
}

export interface SealingKeysTable {
  key_id: string;
  /** Raw uncompressed P-256 point, base64url. */
  public_key: string;
  /** PKCS#8 DER, base64. */
  private_key: string;
  created_at: string;
}

/** One instance's measured capacity (capacity-share.ts). */
export interface CapacityReportsTable {
  instance_id: string;
  writes_per_second: number;
  /** Epoch ms; PostgreSQL answers a bigint as a string. */
  reported_at: number | string;
  saturated_per_second: number | null;
  saturated_at: number | string | null;
}

/** A teacher's return of a copy, one row per version (migration 0007). */
export interface FeedbackTable {
  id: string;
  submission_id: string;
  version: number;
  pupil_id: string;
  teacher_id: string;
  class_id: string;
  week: string;
  assignment_id: string;
  content_hash: string;
  comment: string;
  /** JSON of an Assessment. */
  assessment: string;
  written_at: string;
  returned_at: string;
  seen_at: string | null;
  /** JSON SubmittedFile[]: the files returned with it (migration 0010; '[]' on rows written before). */
  files: string;
}

/** Which version of a week a pupil's devices hold, and their last contact (migration 0008). */
export interface PupilWeeksTable {
  user_id: string;
  class_id: string;
  week: string;
  version: number;
  last_contact_at: string;
}

/** A shared tablet's last report (migration 0011). */
export interface DeviceReportsTable {
  school_id: string;
  device_id: string;
  queued: number;
  /** JSON {"classId/week": version}. */
  weeks: string;
  last_contact_at: string;
}

/** What a pupil's device last said it holds unsent (migration 0012). */
export interface PupilPendingTable {
  user_id: string;
  /** JSON string[] of `class/week/assignment`. */
  items: string;
  reported_at: string;
}

export interface Database {
  pupil_pending: PupilPendingTable;
  device_reports: DeviceReportsTable;
  pupil_weeks: PupilWeeksTable;
  feedback: FeedbackTable;
  capacity_reports: CapacityReportsTable;
  sealing_keys: SealingKeysTable;
  schools: SchoolsTable;
  users: UsersTable;
  classes: ClassesTable;
  class_pupils: ClassPupilsTable;
  sessions: SessionsTable;
  files: FilesTable;
  week_versions: WeekVersionsTable;
  assignments: AssignmentsTable;
  uploads: UploadsTable;
  submissions: SubmissionsTable;
  submission_versions: SubmissionVersionsTable;
  signing_keys: SigningKeysTable;
  device_seats: DeviceSeatsTable;
  upload_owners: UploadOwnersTable;
}

export type Db = Kysely<Database>;
