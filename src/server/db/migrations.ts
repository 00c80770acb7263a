/**
 * Forward-only migrations, written with Kysely's schema builder so the same steps run on SQLite and PostgreSQL.
 * Never edit a migration that has shipped: add the next one.
 */
import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';

const migrations: Record<string, Migration> = {
  '0001_foundation': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('schools')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('time_zone', 'varchar(64)', (c) => c.notNull())
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('users')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('school_id', 'varchar(64)', (c) => c.notNull().references('schools.id'))
        .addColumn('role', 'varchar(16)', (c) => c.notNull())
        .addColumn('username', 'varchar(64)', (c) => c.notNull().unique())
        .addColumn('display_name', 'text', (c) => c.notNull())
        .addColumn('secret_hash', 'text', (c) => c.notNull())
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('classes')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('school_id', 'varchar(64)', (c) => c.notNull().references('schools.id'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('teacher_id', 'varchar(64)', (c) => c.notNull().references('users.id'))
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('class_pupils')
        .addColumn('class_id', 'varchar(64)', (c) => c.notNull().references('classes.id'))
        .addColumn('pupil_id', 'varchar(64)', (c) => c.notNull().references('users.id'))
        .addPrimaryKeyConstraint('class_pupils_pk', ['class_id', 'pupil_id'])
        .execute();
      await db.schema
        .createTable('sessions')
        .addColumn('token_hash', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('user_id', 'varchar(64)', (c) => c.notNull().references('users.id'))
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('expires_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('revoked_at', 'varchar(32)')
        .execute();
      await db.schema
        .createTable('files')
        .addColumn('sha256', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('size', 'integer', (c) => c.notNull())
        .addColumn('type', 'varchar(128)', (c) => c.notNull())
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('week_versions')
        .addColumn('class_id', 'varchar(64)', (c) => c.notNull().references('classes.id'))
        .addColumn('week', 'varchar(8)', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('manifest', 'text', (c) => c.notNull())
        .addColumn('etag', 'varchar(80)', (c) => c.notNull())
        .addColumn('published_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('release_at', 'varchar(32)')
        .addPrimaryKeyConstraint('week_versions_pk', ['class_id', 'week', 'version'])
        .execute();
    },
  },
  '0002_homework': {
    async up(db: Kysely<unknown>) {
      // Assignments of published weeks, indexed at publish time so a submission can be checked without parsing
      // manifests. The latest published version of a week sets the title and due date.
      await db.schema
        .createTable('assignments')
        .addColumn('class_id', 'varchar(64)', (c) => c.notNull().references('classes.id'))
        .addColumn('week', 'varchar(8)', (c) => c.notNull())
        .addColumn('assignment_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('due_at', 'varchar(32)', (c) => c.notNull())
        .addPrimaryKeyConstraint('assignments_pk', ['class_id', 'week', 'assignment_id'])
        .execute();
      await db.schema
        .createTable('uploads')
        .addColumn('sha256', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('size', 'integer', (c) => c.notNull())
        .addColumn('type', 'varchar(100)', (c) => c.notNull())
        .addColumn('uploader_id', 'varchar(64)', (c) => c.notNull().references('users.id'))
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .execute();
      // One row per submission id: the first version the server received, with its signed receipt.
      await db.schema
        .createTable('submissions')
        .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
        .addColumn('pupil_id', 'varchar(64)', (c) => c.notNull().references('users.id'))
        .addColumn('class_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('week', 'varchar(8)', (c) => c.notNull())
        .addColumn('assignment_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('content_hash', 'varchar(64)', (c) => c.notNull())
        .addColumn('text', 'text', (c) => c.notNull())
        .addColumn('files', 'text', (c) => c.notNull())
        .addColumn('submitted_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('received_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('receipt_payload', 'text', (c) => c.notNull())
        .addColumn('receipt_signature', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('submissions_by_assignment')
        .on('submissions')
        .columns(['class_id', 'week', 'assignment_id'])
        .execute();
      // Any other content that came with an existing id: kept for the teacher, never discarded.
      await db.schema
        .createTable('submission_versions')
        .addColumn('submission_id', 'varchar(36)', (c) => c.notNull().references('submissions.id'))
        .addColumn('content_hash', 'varchar(64)', (c) => c.notNull())
        .addColumn('pupil_id', 'varchar(64)', (c) => c.notNull().references('users.id'))
        .addColumn('text', 'text', (c) => c.notNull())
        .addColumn('files', 'text', (c) => c.notNull())
        .addColumn('submitted_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('received_at', 'varchar(32)', (c) => c.notNull())
        .addPrimaryKeyConstraint('submission_versions_pk', ['submission_id', 'content_hash'])
        .execute();
      // Receipt signing keys live in the database so every server instance signs and verifies alike.
      await db.schema
        .createTable('signing_keys')
        .addColumn('key_id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('public_key', 'text', (c) => c.notNull())
        .addColumn('private_key', 'text', (c) => c.notNull())
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .execute();
    },
  },
  '0003_bundles': {
    async up(db: Kysely<unknown>) {
      // Each published manifest is signed (Ed25519 over its exact bytes) so a device can check a week that came
      // through a cache, a CDN or a USB key. Rows published before this migration are signed when first served.
      await db.schema.alterTable('week_versions').addColumn('signature', 'text').execute();
      await db.schema.alterTable('week_versions').addColumn('key_id', 'varchar(64)').execute();
      // A teacher's Publish carries an id made on the device: sent twice (the outbox retries), it publishes once.
      await db.schema.alterTable('week_versions').addColumn('publish_id', 'varchar(64)').execute();
      await db.schema
        .createIndex('week_versions_publish_id')
        .on('week_versions')
        .columns(['class_id', 'week', 'publish_id'])
        .unique()
        .execute();
      // Devices get a seat number per school at registration: their prefetch slots follow a low-discrepancy
      // sequence of seats, so a school's devices spread evenly over the off-peak window (src/sync/slot-planner.ts).
      await db.schema
        .createTable('devices')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('school_id', 'varchar(64)', (c) => c.notNull().references('schools.id'))
        .addColumn('seat', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addUniqueConstraint('devices_school_seat', ['school_id', 'seat'])
        .execute();
    },
  },
  '0004_accounts': {
    async up(db: Kysely<unknown>) {
      // Tokens come in kinds: a short-lived access token, the refresh token that renews it (rotated on each use,
      // one family per sign-in so a replayed refresh token revokes the family), and the device token that may only
      // send homework and fetch the class's weeks, kept usable on a shared tablet after its pupil has left.
      await db.schema
        .alterTable('sessions')
        .addColumn('kind', 'varchar(16)', (c) => c.notNull().defaultTo('access'))
        .execute();
      await db.schema.alterTable('sessions').addColumn('family', 'varchar(64)').execute();
      await db.schema.createIndex('sessions_by_family').on('sessions').column('family').execute();
      // The server's ECDH P-256 keys: a device seals a pupil's homework to them, so a shared tablet can keep it as
      // ciphertext and still send it after the pupil has gone (docs/security.md).
      await db.schema
        .createTable('sealing_keys')
        .addColumn('key_id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('public_key', 'text', (c) => c.notNull())
        .addColumn('private_key', 'text', (c) => c.notNull())
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .execute();
    },
  },
  '0005_tenant_edges': {
    async up(db: Kysely<unknown>) {
      // Who uploaded a homework file, one row per pupil: the bytes are stored once by their hash, but a pupil may
      // only learn of, and attach, files they uploaded themselves (a hash is not a password: anyone may guess one).
      await db.schema
        .createTable('upload_owners')
        .addColumn('sha256', 'varchar(64)', (c) => c.notNull().references('uploads.sha256'))
        .addColumn('user_id', 'varchar(64)', (c) => c.notNull().references('users.id'))
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addPrimaryKeyConstraint('upload_owners_pk', ['sha256', 'user_id'])
        .execute();
      await sql`insert into upload_owners (sha256, user_id, created_at) select sha256, uploader_id, created_at from uploads`.execute(
        db,
      );
      // A device's seat is per school: a device id registered in one school and then in another gets a seat in each
      // (it was answered the first school's seat). Same columns, the key is now (school, device).
      await db.schema
        .createTable('device_seats')
        .addColumn('id', 'varchar(64)', (c) => c.notNull())
        .addColumn('school_id', 'varchar(64)', (c) => c.notNull().references('schools.id'))
        .addColumn('seat', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addPrimaryKeyConstraint('device_seats_pk', ['school_id', 'id'])
        .addUniqueConstraint('device_seats_school_seat', ['school_id', 'seat'])
        .execute();
      await sql`insert into device_seats (id, school_id, seat, created_at) select id, school_id, seat, created_at from devices`.execute(
        db,
      );
      await db.schema.dropTable('devices').execute();
    },
  },
  '0006_capacity_reports': {
    async up(db: Kysely<unknown>) {
      // What each instance measured it can take (capacity-meter.ts), so that instances on one database announce the
      // deployment's figure: one row per instance, rewritten every few seconds; rows not rewritten lately are ignored.
      await db.schema
        .createTable('capacity_reports')
        .addColumn('instance_id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('writes_per_second', 'double precision', (c) => c.notNull())
        .addColumn('reported_at', 'bigint', (c) => c.notNull())
        // The last figure measured saturated and when: kept across a restart of the instance (same INSTANCE_ID).
        .addColumn('saturated_per_second', 'double precision')
        .addColumn('saturated_at', 'bigint')
        .execute();
    },
  },
  '0007_feedback': {
    async up(db: Kysely<unknown>) {
      // A teacher's return of a pupil's copy: a comment and an assessment. Each correction is a new row (version 1,
      // 2, ...) under a new id made on the teacher's device; nothing is overwritten. `seen_at` is when the pupil first
      // opened that version. The copy's class, week, assignment and pupil are kept on the row: it is read by pupil.
      await db.schema
        .createTable('feedback')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('submission_id', 'varchar(64)', (c) => c.notNull().references('submissions.id'))
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('pupil_id', 'varchar(64)', (c) => c.notNull().references('users.id'))
        .addColumn('teacher_id', 'varchar(64)', (c) => c.notNull().references('users.id'))
        .addColumn('class_id', 'varchar(64)', (c) => c.notNull().references('classes.id'))
        .addColumn('week', 'varchar(8)', (c) => c.notNull())
        .addColumn('assignment_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('content_hash', 'varchar(64)', (c) => c.notNull())
        .addColumn('comment', 'text', (c) => c.notNull())
        .addColumn('assessment', 'text', (c) => c.notNull())
        .addColumn('written_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('returned_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('seen_at', 'varchar(32)')
        .addUniqueConstraint('feedback_submission_version', ['submission_id', 'version'])
        .execute();
      await db.schema.createIndex('feedback_by_pupil').on('feedback').column('pupil_id').execute();
      await db.schema.createIndex('feedback_by_class').on('feedback').columns(['class_id', 'week']).execute();
    },
  },
  '0008_pupil_weeks': {
    async up(db: Kysely<unknown>) {
      // Which version of each week a pupil's devices hold, and when one last asked (pupil-contacts.ts): learnt from
      // the manifest requests devices already make, for the teacher's "Qui est prêt ?".
      await db.schema
        .createTable('pupil_weeks')
        .addColumn('user_id', 'varchar(64)', (c) => c.notNull().references('users.id'))
        .addColumn('class_id', 'varchar(64)', (c) => c.notNull().references('classes.id'))
        .addColumn('week', 'varchar(8)', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('last_contact_at', 'varchar(32)', (c) => c.notNull())
        .addPrimaryKeyConstraint('pupil_weeks_pk', ['user_id', 'class_id', 'week'])
        .execute();
      await db.schema.createIndex('pupil_weeks_by_class').on('pupil_weeks').columns(['class_id', 'week']).execute();
    },
  },
  '0009_device_seal_key': {
    async up(db: Kysely<unknown>) {
      // The public key of the profile a device token works for, bound once by the app with the pupil's own session
      // right after sign-in: what the server seals a pupil's returns to when a tablet fetches them with that device
      // token (routes/feedback.ts), so the token, kept in clear on the tablet, only ever yields ciphertext.
      await db.schema.alterTable('sessions').addColumn('seal_key', 'text').execute();
    },
  },
  '0010_feedback_files': {
    async up(db: Kysely<unknown>) {
      // A return may carry files (an annotated photo, a corrected PDF): uploaded by the teacher like homework files
      // (uploads, upload_owners), listed here as JSON SubmittedFile[].
      await db.schema
        .alterTable('feedback')
        .addColumn('files', 'text', (c) => c.notNull().defaultTo('[]'))
        .execute();
    },
  },
  '0011_device_reports': {
    async up(db: Kysely<unknown>) {
      // What each shared tablet said with its week checks (pupil-contacts.ts): when, how many items it had queued
      // (a count, never content) and the version of each week it holds (JSON {"class/week": version}).
      await db.schema
        .createTable('device_reports')
        .addColumn('school_id', 'varchar(64)', (c) => c.notNull().references('schools.id'))
        .addColumn('device_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('queued', 'integer', (c) => c.notNull())
        .addColumn('weeks', 'text', (c) => c.notNull())
        .addColumn('last_contact_at', 'varchar(32)', (c) => c.notNull())
        .addPrimaryKeyConstraint('device_reports_pk', ['school_id', 'device_id'])
        .execute();
    },
  },
  '0012_pupil_pending': {
    async up(db: Kysely<unknown>) {
      // The homework a pupil's device last said it still holds unsent (class/week/assignment ids, never content):
      // "en attente d'envoi" in the teacher's "Qui est prêt ?" until it arrives.
      await db.schema
        .createTable('pupil_pending')
        .addColumn('user_id', 'varchar(64)', (c) => c.primaryKey().references('users.id'))
        .addColumn('items', 'text', (c) => c.notNull())
        .addColumn('reported_at', 'varchar(32)', (c) => c.notNull())
        .execute();
    },
  },
};

/** The names of every migration, in order. */
export const MIGRATION_NAMES = Object.keys(migrations).sort();

const provider: MigrationProvider = {
  async getMigrations() {
    return migrations;
  },
};

/** Applies the migrations up to `name` only: for testing a later migration against data written before it. */
export async function migrateTo(db: Kysely<unknown>, name: string): Promise<void> {
  const { error } = await new Migrator({ db, provider }).migrateTo(name);
  if (error) throw error instanceof Error ? error : new Error('migration failed', { cause: error });
}

/** Applies every pending migration; throws (and applies nothing further) if one fails. */
export async function migrateToLatest(db: Kysely<unknown>): Promise<string[]> {
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error('migration failed', { cause: error });
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
