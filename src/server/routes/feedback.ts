/**
 * The way back: a teacher returns a pupil's copy (a comment and an assessment) and the pupil's devices fetch it.
 *
 * PUT /api/feedback/{id} is idempotent like a submission: the id is made on the teacher's device; the same id with
 * the same content answers the stored version again, with other content 409 (the first is kept). A correction is a
 * new id, so a new version (1, 2, ...): nothing is ever overwritten, and the pupil sees the newest.
 *
 * GET /api/feedback is the pupil's own, with an ETag: a device with nothing new pays one 304. With the pupil's
 * session it answers in clear. With a device token (a tablet at its off-peak slot, the pupil away) it answers only
 * ciphertext sealed to the profile key the app bound to that token right after sign-in (POST /api/auth/device-key):
 * a shared tablet keeps its device tokens in clear (docs/security.md), and feedback is as private as the homework it
 * answers. The two writes (a return, a read mark) take the device token too, as the outbox sends every write with it.
 */
import { Type } from 'typebox';
import {
  type Assessment,
  ErrorBody,
  FeedbackBody,
  FeedbackListReply,
  FeedbackReply,
  FeedbackSeenBody,
  DeviceKeyBody,
  SealedFeedbackReply,
  type FeedbackView,
  Sha256,
  SubmissionId,
  type SubmittedFile,
} from '../../protocol/schemas.ts';
import { ACCESS_OR_DEVICE, authenticate, bearerToken, currentUser } from '../auth/authenticate.ts';
import { tokenHash } from '../auth/secrets.ts';
import { classesOfUser, findToken } from '../db/queries.ts';
import { encryptForProfile, isProfileKey, sealForProfile } from '../profile-seal.ts';
import { PENDING_HEADER, parsePending, SEALED_FILE_HEADER } from '../../protocol/paths.ts';
import { isHomeworkFileType } from '../../protocol/homework-files.ts';
import { requirePupil, requireTeacherOf } from '../auth/policy.ts';
import type { RoutePlugin } from '../context.ts';
import { findFeedback, insertFeedback, latestFeedbackOfPupil, markFeedbackSeen } from '../db/feedback-queries.ts';
import { findSubmission, ownUploadsAmong, uploadTypes } from '../db/homework-queries.ts';
import type { FeedbackTable } from '../db/schema.ts';
import { HttpError, notFound, requireDateTime } from '../errors.ts';
import { sha256Hex } from '../publish.ts';
import { authErrors, bearer } from './common.ts';
import { etagMatches } from './weeks.ts';

/** What identifies a return's content: the same copy, comment and assessment. */
const feedbackHash = (body: FeedbackBody): string =>
  sha256Hex(
    JSON.stringify({
      submissionId: body.submissionId,
      comment: body.comment,
      assessment: body.assessment,
      // Absent and empty are the same return (and hash as returns made before files existed).
      ...(body.files?.length ? { files: body.files } : {}),
    }),
  );

export function feedbackView(row: FeedbackTable): FeedbackView {
  return {
    feedbackId: row.id,
    submissionId: row.submission_id,
    classId: row.class_id,
    week: row.week,
    assignmentId: row.assignment_id,
    version: row.version,
    comment: row.comment,
    assessment: JSON.parse(row.assessment) as Assessment,
    returnedAt: row.returned_at,
    files: JSON.parse(row.files) as SubmittedFile[],
    ...(row.seen_at ? { seenAt: row.seen_at } : {}),
  };
}

const otherContent = () =>
  new HttpError(
    409,
    'conflict',
    'Un autre retour a déjà été reçu avec cet identifiant : il est gardé, celui-ci repartira comme une correction.',
  );

export const feedbackRoutes: RoutePlugin = async (app, { ctx }) => {
  app.put(
    '/feedback/:id',
    {
      // A write like homework and publications: the outbox sends it with the device token, so it leaves even after
      // the teacher closed the app (a device token may send work, never read it back).
      onRequest: authenticate(ctx, ACCESS_OR_DEVICE),
      schema: {
        summary: 'Teacher: return a copy with a comment and an assessment (idempotent; a new id is a new version)',
        security: bearer,
        params: Type.Object({ id: SubmissionId }),
        body: FeedbackBody,
        response: { 200: FeedbackReply, 201: FeedbackReply, ...authErrors, 409: ErrorBody, 422: ErrorBody },
      },
    },
    async (request, reply) => {
      const user = currentUser(request);
      const { id } = request.params;
      const body = request.body;
      const submission = await findSubmission(ctx.db, body.submissionId);
      // Someone else's copy answers as a copy that does not exist.
      if (!submission) throw notFound('Copie introuvable.');
      await requireTeacherOf(ctx, user, submission.class_id);
      if (body.assessment.kind === 'mark' && body.assessment.mark > body.assessment.outOf)
        throw new HttpError(
          422,
          'invalid_mark',
          `Note impossible : ${body.assessment.mark} sur ${body.assessment.outOf}.`,
        );
      const writtenAt = requireDateTime(body.writtenAt, 'writtenAt');
      // Only files this teacher uploaded: a hash is not a way to reach someone else's file.
      const files = body.files ?? [];
      const own = await ownUploadsAmong(
        ctx.db,
        files.map((f) => f.sha256),
        user.id,
      );
      const missing = files.filter((f) => !own.has(f.sha256));
      if (missing.length)
        throw new HttpError(422, 'missing_file', `Fichier pas encore reçu : ${missing.map((f) => f.name).join(', ')}.`);
      const hash = feedbackHash(body);
      const known = await findFeedback(ctx.db, id);
      const again = (row: FeedbackTable) => {
        if (row.content_hash !== hash || row.teacher_id !== user.id) throw otherContent();
        return reply.status(200).send({ feedback: feedbackView(row) });
      };
      if (known) return again(known);
      const stored = await insertFeedback(ctx.db, {
        id,
        submission_id: submission.id,
        pupil_id: submission.pupil_id,
        teacher_id: user.id,
        class_id: submission.class_id,
        week: submission.week,
        assignment_id: submission.assignment_id,
        content_hash: hash,
        comment: body.comment,
        assessment: JSON.stringify(body.assessment),
        written_at: writtenAt,
        returned_at: ctx.now().toISOString(),
        seen_at: null,
        files: JSON.stringify(files),
      });
      if (stored) return reply.status(201).send({ feedback: feedbackView(stored) });
      // A concurrent request with this id won: answered as a repeat of it.
      const winner = await findFeedback(ctx.db, id);
      if (!winner) throw new Error('feedback vanished');
      return again(winner);
    },
  );

  app.post(
    '/auth/device-key',
    {
      onRequest: authenticate(ctx),
      schema: {
        summary:
          'Bind the profile public key to this sign-in’s device token, once: returns fetched with that token come sealed to it',
        security: bearer,
        body: DeviceKeyBody,
        response: { 204: Type.Null(), ...authErrors, 403: ErrorBody, 409: ErrorBody, 422: ErrorBody },
      },
    },
    async (request, reply) => {
      const user = currentUser(request);
      requirePupil(user);
      const { deviceToken, publicKey } = request.body;
      if (!(await isProfileKey(publicKey))) throw new HttpError(422, 'invalid_key', 'Clé publique P-256 invalide.');
      const row = await findToken(ctx.db, tokenHash(deviceToken));
      const live = row && row.kind === 'device' && !row.revoked_at && row.expires_at > ctx.now().toISOString();
      // Another user's token answers as one that does not exist.
      if (!live || row.user_id !== user.id) throw notFound('Jeton d’appareil introuvable.');
      // Trust on first use: the app binds it right after sign-in, with the pupil's own session; whoever later holds
      // the device token (kept in clear on a shared tablet) cannot bind a key of their own.
      const taken = () => new HttpError(409, 'conflict', 'Ce jeton d’appareil a déjà sa clé.');
      if (row.seal_key !== null && row.seal_key !== publicKey) throw taken();
      await ctx.db
        .updateTable('sessions')
        .set({ seal_key: publicKey })
        .where('token_hash', '=', row.token_hash)
        .where('seal_key', 'is', null)
        .execute();
      if ((await findToken(ctx.db, row.token_hash))?.seal_key !== publicKey) throw taken();
      return reply.status(204).send(undefined as unknown as null);
    },
  );

  app.get(
    '/feedback',
    {
      // The pupil's session reads them in clear; a device token (a tablet at its off-peak slot) only as ciphertext
      // sealed to the profile key bound to that token.
      onRequest: authenticate(ctx, ACCESS_OR_DEVICE),
      schema: {
        summary:
          'Pupil: the newest version of each of their returned copies (ETag: one 304 when nothing is new); sealed to the profile with a device token',
        security: bearer,
        response: {
          200: Type.Union([FeedbackListReply, SealedFeedbackReply]),
          304: Type.Null(),
          ...authErrors,
          403: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const user = currentUser(request);
      requirePupil(user);
      const token = await findToken(ctx.db, tokenHash(bearerToken(request.headers.authorization) ?? ''));
      const sealTo = token?.kind === 'device' ? token.seal_key : undefined;
      if (sealTo === null)
        throw new HttpError(
          403,
          'no_profile_key',
          'Cet appareil n’a pas encore lié sa clé de profil : ouvre l’application une fois en ligne.',
        );
      // What this device still holds unsent for the pupil (ids only): "en attente d'envoi" for their teacher.
      const pendingHeader = request.headers[PENDING_HEADER];
      const pending = parsePending(typeof pendingHeader === 'string' ? pendingHeader : undefined);
      if (pending)
        await ctx.db
          .insertInto('pupil_pending')
          .values({ user_id: user.id, items: JSON.stringify(pending), reported_at: ctx.now().toISOString() })
          .onConflict((oc) =>
            oc.column('user_id').doUpdateSet({ items: JSON.stringify(pending), reported_at: ctx.now().toISOString() }),
          )
          .execute();
      const rows = await latestFeedbackOfPupil(ctx.db, user.id);
      const feedback = rows.map(feedbackView);
      const state = JSON.stringify(rows.map((r) => [r.id, r.seen_at]));
      // Clear and sealed answers are different bodies: they never share an ETag.
      const etag = `"f${sealTo ? 's' : ''}-${sha256Hex(state).slice(0, 32)}"`;
      void reply.header('etag', etag).header('cache-control', 'private, no-cache').header('vary', 'authorization');
      if (etagMatches(request.headers['if-none-match'], etag))
        return reply.status(304).send(undefined as unknown as null);
      if (sealTo)
        return {
          sealed: await sealForProfile(sealTo, Buffer.from(JSON.stringify(feedback))),
          files: feedback.flatMap((f) =>
            f.files.map((x) => ({ feedbackId: f.feedbackId, sha256: x.sha256, size: x.size })),
          ),
        };
      return { feedback };
    },
  );

  app.get(
    '/feedback/:id/files/:sha256',
    {
      onRequest: authenticate(ctx, ACCESS_OR_DEVICE),
      schema: {
        summary:
          'A file returned with a copy, for its pupil and the class’s staff; with a device token, encrypted to the bound profile key',
        security: bearer,
        params: Type.Object({ id: SubmissionId, sha256: Sha256 }),
        response: { 200: Type.Unknown({ description: 'the file' }), ...authErrors, 403: ErrorBody },
      },
    },
    async (request, reply) => {
      const user = currentUser(request);
      const { id, sha256 } = request.params;
      const row = await findFeedback(ctx.db, id);
      const readable =
        row &&
        (row.pupil_id === user.id ||
          (user.role !== 'pupil' && (await classesOfUser(ctx.db, user)).some((c) => c.id === row.class_id)));
      const file = readable ? (JSON.parse(row.files) as SubmittedFile[]).find((f) => f.sha256 === sha256) : undefined;
      if (!row || !file) throw notFound('Fichier introuvable.');
      const token = await findToken(ctx.db, tokenHash(bearerToken(request.headers.authorization) ?? ''));
      const checked = (await uploadTypes(ctx.db, [sha256])).get(sha256) ?? '';
      const type = isHomeworkFileType(checked) ? checked : 'application/octet-stream';
      void reply.header('cache-control', 'private, no-store');
      if (token?.kind === 'device') {
        // A tablet with nobody signed in: the bytes encrypted under a fresh key sealed to the bound profile key.
        if (!token.seal_key)
          throw new HttpError(403, 'no_profile_key', 'Cet appareil n’a pas encore lié sa clé de profil.');
        const stream = await ctx.storage.read(sha256);
        if (!stream) throw notFound('Fichier introuvable.');
        const chunks: Buffer[] = [];
        for await (const chunk of stream) chunks.push(chunk as Buffer);
        const bytes = new Uint8Array(Buffer.concat(chunks));
        const sealed = await encryptForProfile(token.seal_key, bytes);
        return reply
          .type('application/octet-stream')
          .header(SEALED_FILE_HEADER, sealed.header)
          .header('x-content-type', type)
          .send(Buffer.from(sealed.ct));
      }
      const stream = await ctx.storage.read(sha256);
      if (!stream) throw notFound('Fichier introuvable.');
      return reply
        .type(type)
        .header('content-disposition', `attachment; filename="${file.name.replace(/[^\w.-]+/g, '_')}"`)
        .send(stream);
    },
  );

  app.put(
    '/feedback/:id/seen',
    {
      onRequest: authenticate(ctx, ACCESS_OR_DEVICE),
      schema: {
        summary: 'Pupil: they opened this returned copy (idempotent: the first time is kept)',
        security: bearer,
        params: Type.Object({ id: SubmissionId }),
        body: FeedbackSeenBody,
        response: { 200: FeedbackReply, ...authErrors, 403: ErrorBody },
      },
    },
    async (request) => {
      const user = currentUser(request);
      requirePupil(user);
      const seenAt = requireDateTime(request.body.seenAt, 'seenAt');
      if (!(await markFeedbackSeen(ctx.db, request.params.id, user.id, seenAt))) throw notFound('Retour introuvable.');
      const row = await findFeedback(ctx.db, request.params.id);
      if (!row) throw notFound('Retour introuvable.');
      return { feedback: feedbackView(row) };
    },
  );
};
