/**
 * Teachers publish weeks: first each lesson file by its SHA-256 (PUT /api/lesson-files/{sha256}, checked before a
 * byte is read: size and type declared in the headers; then the bytes against the hash and their sniffed type), then
 * the week itself (PUT …/publications/{publishId}, idempotent: the same id publishes once). Every publication is a
 * new immutable, signed version of the week.
 */
import { Type } from 'typebox';
import { isValidIsoWeek } from '../../protocol/iso-week.ts';
import {
  ErrorBody,
  Id,
  IsoWeek,
  type Lesson,
  PublicationsReply,
  PublishBody,
  PublishReply,
  Sha256,
  UploadReply,
  WeekManifest,
} from '../../protocol/schemas.ts';
import { ACCESS_OR_DEVICE, authenticate, currentUser } from '../auth/authenticate.ts';
import { requireTeacherOf } from '../auth/policy.ts';
import type { RoutePlugin } from '../context.ts';
import { findFile, findWeekVersion, listAllWeekVersions } from '../db/queries.ts';
import { HttpError, notFound, requireDateTime } from '../errors.ts';
import {
  canonicalType,
  isLessonFileType,
  LESSON_FILE_TYPES,
  LESSON_TYPE_ALIASES,
  MAX_LESSON_FILE_BYTES,
} from '../../protocol/lesson-files.ts';
import { bytesMatchType } from '../files/sniff.ts';
import { publishStoredWeek, StaleBase, sha256Hex, storeFileBytes } from '../publish.ts';
import { weekKey } from '../hot-cache.ts';
import { authErrors, bearer, megabytes, refuseFileByHeaders } from './common.ts';

const PublishId = Type.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' });

export const publishingRoutes: RoutePlugin = async (app, { ctx }) => {
  const accepted = [...LESSON_FILE_TYPES, ...Object.keys(LESSON_TYPE_ALIASES)];
  app.addContentTypeParser(accepted, { parseAs: 'buffer', bodyLimit: MAX_LESSON_FILE_BYTES }, (_req, body, done) => {
    done(null, body);
  });

  const requireTeacher = async (request: { user?: { role: string } }) => {
    if (request.user?.role === 'pupil')
      throw new HttpError(403, 'teachers_only', 'Seuls les enseignants publient des leçons.');
  };

  app.get(
    '/lesson-files/:sha256',
    {
      onRequest: [authenticate(ctx, ACCESS_OR_DEVICE), requireTeacher],
      schema: {
        summary: 'Whether the server already holds this lesson file (teachers; the publisher skips what is there)',
        security: bearer,
        params: Type.Object({ sha256: Sha256 }),
        response: { 200: UploadReply, 403: ErrorBody, ...authErrors },
      },
    },
    async (request) => {
      const file = await findFile(ctx.db, request.params.sha256);
      if (!file) throw notFound('Fichier pas encore envoyé.');
      return { sha256: file.sha256, size: file.size, stored: false };
    },
  );

  app.put(
    '/lesson-files/:sha256',
    {
      // Size and type are checked from the headers before the body is read: no bytes wasted on a refusal.
      onRequest: [
        refuseFileByHeaders({
          maxBytes: MAX_LESSON_FILE_BYTES,
          typeOf: canonicalType,
          accepts: isLessonFileType,
          accepted: 'PDF, images PNG/JPEG/WebP/GIF, sons WAV/MP3/OGG/M4A, vidéos MP4, texte',
        }),
        authenticate(ctx, ACCESS_OR_DEVICE),
        requireTeacher,
      ],
      schema: {
        summary: `Upload a lesson file by its SHA-256 (teachers; at most ${megabytes(MAX_LESSON_FILE_BYTES)})`,
        security: bearer,
        params: Type.Object({ sha256: Sha256 }),
        response: {
          200: UploadReply,
          201: UploadReply,
          403: ErrorBody,
          413: ErrorBody,
          415: ErrorBody,
          422: ErrorBody,
          ...authErrors,
        },
      },
    },
    async (request, reply) => {
      const { sha256 } = request.params;
      const body: unknown = request.body;
      if (!Buffer.isBuffer(body))
        throw new HttpError(415, 'unsupported_media_type', 'Corps de requête attendu : le fichier.');
      if (sha256Hex(body) !== sha256)
        throw new HttpError(422, 'hash_mismatch', 'Le contenu reçu ne correspond pas à son empreinte SHA-256.');
      const type = canonicalType(request.headers['content-type'] ?? '');
      if (!bytesMatchType(body, type))
        throw new HttpError(415, 'type_mismatch', `Le contenu de ce fichier n’est pas du type annoncé (${type}).`);
      const stored = await storeFileBytes(ctx.db, ctx.storage, { sha256, bytes: body, type }, ctx.now().toISOString());
      return reply.status(stored ? 201 : 200).send({ sha256, size: body.byteLength, stored });
    },
  );

  app.put(
    '/classes/:classId/weeks/:week/publications/:publishId',
    {
      onRequest: authenticate(ctx, ACCESS_OR_DEVICE),
      schema: {
        summary: 'Publish a new version of a week (teachers of the class); the same publishId publishes once',
        security: bearer,
        params: Type.Object({ classId: Id, week: IsoWeek, publishId: PublishId }),
        body: PublishBody,
        response: { 200: PublishReply, 201: PublishReply, 409: ErrorBody, 422: ErrorBody, ...authErrors },
      },
    },
    async (request, reply) => {
      const { classId, week, publishId } = request.params;
      if (!isValidIsoWeek(week)) throw new HttpError(400, 'invalid_week', `La semaine ${week} n’existe pas.`);
      const klass = await requireTeacherOf(ctx, currentUser(request), classId);
      const body = request.body;
      // Date-times stored and signed in one canonical form (storable.ts); the schema's pattern let only parseable ones in.
      const releaseAt = body.releaseAt === undefined ? undefined : requireDateTime(body.releaseAt, 'releaseAt');
      const assignments = body.assignments.map((a) => ({ ...a, dueAt: requireDateTime(a.dueAt, 'dueAt') }));
      const ids = new Set<string>();
      for (const item of [...body.lessons, ...body.assignments]) {
        if (ids.has(item.id))
          throw new HttpError(422, 'duplicate_id', `L’identifiant « ${item.id} » est utilisé deux fois.`);
        ids.add(item.id);
      }
      const lessons: Lesson[] = [];
      const missing: string[] = [];
      for (const lesson of body.lessons) {
        const attachments = [];
        for (const a of lesson.attachments) {
          const file = await findFile(ctx.db, a.sha256);
          if (!file) missing.push(a.name);
          else attachments.push({ sha256: a.sha256, name: a.name, type: file.type, size: file.size });
        }
        lessons.push({ ...lesson, attachments });
      }
      if (missing.length > 0)
        throw new HttpError(422, 'files_missing', `Fichiers pas encore envoyés : ${missing.join(', ')}.`);
      const { manifest, etag, created } = await publishStoredWeek(
        ctx.db,
        {
          classId,
          className: body.className ?? klass.name,
          week,
          lessons,
          assignments,
          publishId,
          // Absent means "a new week": an old client never publishes over a version it did not see.
          baseVersion: body.baseVersion ?? 0,
          ...(releaseAt ? { releaseAt } : {}),
        },
        ctx.now(),
      ).catch((err: unknown) => {
        if (!(err instanceof StaleBase)) throw err;
        throw new HttpError(
          409,
          'stale_base',
          `Cette semaine a été publiée entre-temps (version ${err.currentVersion}) : fusionnez avec elle avant de publier.`,
          { currentVersion: err.currentVersion },
        );
      });
      ctx.hot?.weekHeads.delete(weekKey(classId, week));
      return reply.status(created ? 201 : 200).send({
        classId,
        week,
        version: manifest.version,
        etag,
        publishedAt: manifest.publishedAt,
        releaseAt: releaseAt ?? null,
      });
    },
  );

  app.get(
    '/classes/:classId/weeks/:week/latest',
    {
      onRequest: authenticate(ctx, ACCESS_OR_DEVICE),
      schema: {
        summary:
          'The newest version of a week, scheduled or released (teachers of the class): what the editor starts from ' +
          'and merges with',
        security: bearer,
        params: Type.Object({ classId: Id, week: IsoWeek }),
        response: { 200: WeekManifest, ...authErrors },
      },
    },
    async (request, reply) => {
      const { classId, week } = request.params;
      if (!isValidIsoWeek(week)) throw new HttpError(400, 'invalid_week', `La semaine ${week} n’existe pas.`);
      await requireTeacherOf(ctx, currentUser(request), classId);
      const row = await findWeekVersion(ctx.db, classId, week);
      if (!row) throw notFound('Cette semaine n’a pas encore été publiée.');
      return reply.type('application/json; charset=utf-8').send(row.manifest as unknown as WeekManifest);
    },
  );

  app.get(
    '/classes/:classId/weeks/:week/versions/:version',
    {
      onRequest: authenticate(ctx, ACCESS_OR_DEVICE),
      schema: {
        summary: 'One published version of a week, scheduled or released (teachers of the class): its history',
        security: bearer,
        params: Type.Object({ classId: Id, week: IsoWeek, version: Type.String({ pattern: '^[1-9][0-9]{0,6}$' }) }),
        response: { 200: WeekManifest, ...authErrors },
      },
    },
    async (request, reply) => {
      const { classId, week, version } = request.params;
      if (!isValidIsoWeek(week)) throw new HttpError(400, 'invalid_week', `La semaine ${week} n’existe pas.`);
      await requireTeacherOf(ctx, currentUser(request), classId);
      const row = await findWeekVersion(ctx.db, classId, week, Number(version));
      if (!row) throw notFound('Cette version n’existe pas.');
      // Immutable once published: a teacher's browser may keep it.
      void reply.header('cache-control', 'private, max-age=31536000, immutable');
      return reply.type('application/json; charset=utf-8').send(row.manifest as unknown as WeekManifest);
    },
  );

  app.get(
    '/classes/:classId/publications',
    {
      onRequest: authenticate(ctx),
      schema: {
        summary: 'Every published version of the class’s weeks, scheduled ones included (teachers of the class)',
        security: bearer,
        params: Type.Object({ classId: Id }),
        response: { 200: PublicationsReply, ...authErrors },
      },
    },
    async (request) => {
      await requireTeacherOf(ctx, currentUser(request), request.params.classId);
      const rows = await listAllWeekVersions(ctx.db, request.params.classId);
      return {
        publications: rows.map((r) => ({
          classId: r.class_id,
          week: r.week,
          version: r.version,
          etag: r.etag,
          publishedAt: r.published_at,
          releaseAt: r.release_at,
        })),
      };
    },
  );
};
