/**
 * The way back: a teacher returns a pupil's copy (a comment and an assessment) and the pupil's devices fetch it.
 *
 * PUT /api/feedback/{id} is idempotent like a submission: the id is made on the teacher's device; the same id with
 * the same content answers the stored version again, with other content 409 (the first is kept). A correction is a
 * new id, so a new version (1, 2, ...): nothing is ever overwritten, and the pupil sees the newest.
 *
 * GET /api/feedback is the pupil's own, with an ETag: a device with nothing new pays one 304. It takes the pupil's
 * session, never a device token: a shared tablet keeps its device tokens in clear (docs/security.md), and feedback is
 * as private as the homework it answers. The two writes (a return, a read mark) take the device token too, as the
 * outbox sends every write with it.
 */
import { Type } from 'typebox';
import {
  type Assessment,
  ErrorBody,
  FeedbackBody,
  FeedbackListReply,
  FeedbackReply,
  FeedbackSeenBody,
  type FeedbackView,
  SubmissionId,
} from '../../protocol/schemas.ts';
import { ACCESS_OR_DEVICE, authenticate, currentUser } from '../auth/authenticate.ts';
import { requirePupil, requireTeacherOf } from '../auth/policy.ts';
import type { RoutePlugin } from '../context.ts';
import { findFeedback, insertFeedback, latestFeedbackOfPupil, markFeedbackSeen } from '../db/feedback-queries.ts';
import { findSubmission } from '../db/homework-queries.ts';
import type { FeedbackTable } from '../db/schema.ts';
import { HttpError, notFound, requireDateTime } from '../errors.ts';
import { sha256Hex } from '../publish.ts';
import { authErrors, bearer } from './common.ts';
import { etagMatches } from './weeks.ts';

/** What identifies a return's content: the same copy, comment and assessment. */
const feedbackHash = (body: FeedbackBody): string =>
  sha256Hex(JSON.stringify({ submissionId: body.submissionId, comment: body.comment, assessment: body.assessment }));

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
      });
      if (stored) return reply.status(201).send({ feedback: feedbackView(stored) });
      // A concurrent request with this id won: answered as a repeat of it.
      const winner = await findFeedback(ctx.db, id);
      if (!winner) throw new Error('feedback vanished');
      return again(winner);
    },
  );

  app.get(
    '/feedback',
    {
      onRequest: authenticate(ctx),
      schema: {
        summary: 'Pupil: the newest version of each of their returned copies (ETag: one 304 when nothing is new)',
        security: bearer,
        response: { 200: FeedbackListReply, 304: Type.Null(), ...authErrors, 403: ErrorBody },
      },
    },
    async (request, reply) => {
      const user = currentUser(request);
      requirePupil(user);
      const rows = await latestFeedbackOfPupil(ctx.db, user.id);
      const feedback = rows.map(feedbackView);
      const etag = `"f-${sha256Hex(JSON.stringify(rows.map((r) => [r.id, r.seen_at]))).slice(0, 32)}"`;
      void reply.header('etag', etag).header('cache-control', 'private, no-cache').header('vary', 'authorization');
      if (etagMatches(request.headers['if-none-match'], etag))
        return reply.status(304).send(undefined as unknown as null);
      return { feedback };
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
