/**
 * Homework submissions. PUT /api/submissions/{id} is idempotent: the id is made on the device. The same id with the
 * same content answers the stored receipt again; the same id with other content answers 409 and both versions are
 * kept for the teacher. The answer comes only after the database has committed (synchronous=FULL).
 */
import { Type } from 'typebox';
import { Compile } from 'typebox/compile';
import {
  AssignmentSubmissionsReply,
  ErrorBody,
  Id,
  IsoWeek,
  Receipt,
  Sha256,
  SubmissionBatchBody,
  type SubmissionBatchItem,
  SubmissionBatchReply,
  type SubmissionBatchResult,
  SubmissionBody,
  SubmissionId,
  type SubmittedFile,
  ClassAssignmentsReply,
} from '../../protocol/schemas.ts';
import { ACCESS_OR_DEVICE, authenticate, currentUser } from '../auth/authenticate.ts';
import { requirePupil, requirePupilOf, requireTeacherOf } from '../auth/policy.ts';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../context.ts';
import {
  findAssignment,
  findSubmission,
  insertSubmission,
  insertSubmissions,
  insertSubmissionVersion,
  pupilsOfClass,
  ownUploadsAmong,
  submissionsOfAssignment,
  uploadTypes,
  versionsOf,
  assignmentsOfClass,
} from '../db/homework-queries.ts';
import { latestFeedbackOf } from '../db/feedback-queries.ts';
import { feedbackView } from './feedback.ts';
import { classesOfUser, listAllWeekVersions, type UserRow } from '../db/queries.ts';
import type { SubmissionsTable } from '../db/schema.ts';
import { HttpError, notFound, requireDateTime } from '../errors.ts';
import { HOMEWORK_LIMITS, isHomeworkFileType } from '../../protocol/homework-files.ts';
import { sha256Hex } from '../publish.ts';
import { GroupCommitter } from '../group-commit.ts';
import { SUBMISSION_BATCH_LIMITS } from '../../protocol/submission-batch.ts';
import { OVERLOADED } from '../admission.ts';
import { openSealed, sealingKeys } from '../sealing.ts';
import { currentSigningKey, type SigningKey, signReceipt } from '../receipts.ts';
import { authErrors, bearer, megabytes } from './common.ts';

/** What identifies a submission's content: equal hashes mean the same homework. */
export function contentHash(body: Omit<SubmissionBody, 'submittedAt'>): string {
  const { classId, week, assignmentId, text, files } = body;
  return sha256Hex(JSON.stringify({ classId, week, assignmentId, text, files }));
}

const idConflict = () =>
  new HttpError(
    409,
    'conflict',
    'Un autre contenu a déjà été reçu avec cet identifiant. Les deux versions sont gardées pour ton enseignant.',
  );

const receiptOf = (row: SubmissionsTable) => ({
  payload: row.receipt_payload,
  signature: row.receipt_signature,
  receivedAt: row.received_at,
});

/** The assignment, through the hot cache (only assignments that exist are cached). */
async function knownAssignment(ctx: AppContext, classId: string, week: string, assignmentId: string) {
  const key = `${classId}/${week}/${assignmentId}`;
  const now = ctx.now().getTime();
  const cached = ctx.hot?.assignments.get(key, now);
  if (cached) return cached;
  const found = await findAssignment(ctx.db, classId, week, assignmentId);
  if (found) ctx.hot?.assignments.set(key, found, now + ctx.hot.ttlMs);
  return found;
}

export const submissionRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext; groupCommit?: boolean }> = async (
  app,
  { ctx, groupCommit = true },
) => {
  // Concurrent submissions share one transaction and one disk flush; each is answered after its batch commits.
  const committer = new GroupCommitter<SubmissionsTable, boolean>((rows) => insertSubmissions(ctx.db, rows));
  const store = (row: SubmissionsTable) => (groupCommit ? committer.submit(row) : insertSubmission(ctx.db, row));
  // Keys never change once made: read the current one once per process.
  let keyPromise: Promise<SigningKey> | undefined;
  const signingKey = () => {
    keyPromise ??= currentSigningKey(ctx.db, ctx.now().toISOString()).catch((err: unknown) => {
      keyPromise = undefined;
      throw err;
    });
    return keyPromise;
  };

  /**
   * One submission, as PUT /api/submissions/{id} and each item of a batch take it: 201 stored, 200 the same content
   * again (same receipt); an HttpError otherwise (409 other content under this id, both kept; 4xx refused).
   */
  const submitOne = async (
    user: UserRow,
    id: string,
    body: SubmissionBody,
  ): Promise<{ status: 200 | 201; receipt: Receipt }> => {
    await requirePupilOf(ctx, user, body.classId);
    const assignment = await knownAssignment(ctx, body.classId, body.week, body.assignmentId);
    if (!assignment) {
      throw new HttpError(
        422,
        'unknown_assignment',
        'Ce devoir n’existe pas (ou plus) dans cette classe : demande à ton enseignant.',
      );
    }
    // Only files this pupil uploaded: a hash someone else's work holds is not a way to reach that work.
    const present = await ownUploadsAmong(
      ctx.db,
      body.files.map((f) => f.sha256),
      user.id,
    );
    // The limits the app checked before saving, from the same declaration (a client may not have).
    const total = body.files.reduce((sum, f) => sum + f.size, 0);
    const limits = ctx.homework ?? HOMEWORK_LIMITS;
    if (total > limits.maxTotalBytes)
      throw new HttpError(
        413,
        'homework_too_large',
        `Devoir trop lourd : ${megabytes(total)} en tout, ${megabytes(limits.maxTotalBytes)} au plus.`,
      );
    const missing = body.files.filter((f) => !present.has(f.sha256));
    if (missing.length) {
      throw new HttpError(422, 'missing_file', `Fichier pas encore reçu : ${missing.map((f) => f.name).join(', ')}.`);
    }
    const submittedAt = requireDateTime(body.submittedAt, 'submittedAt');
    const hash = contentHash(body);
    const now = ctx.now().toISOString();
    const files = JSON.stringify(body.files);

    // Written first, read only if the id was known: a new submission (the common case) costs no read.
    const key = await signingKey();
    const receipt = signReceipt(key, {
      submissionId: id,
      pupilId: user.id,
      classId: body.classId,
      assignmentId: body.assignmentId,
      contentHash: hash,
      submittedAt,
      receivedAt: now,
      keyId: key.keyId,
    });
    const row: SubmissionsTable = {
      id,
      pupil_id: user.id,
      class_id: body.classId,
      week: body.week,
      assignment_id: body.assignmentId,
      content_hash: hash,
      text: body.text,
      files,
      submitted_at: submittedAt,
      received_at: now,
      receipt_payload: receipt.payload,
      receipt_signature: receipt.signature,
    };
    if (await store(row)) return { status: 201, receipt: receiptOf(row) };
    // The id is known (from before, or from a concurrent request that just won): same content, same receipt.
    const stored = await findSubmission(ctx.db, id);
    if (!stored) throw new Error('submission vanished');
    // Someone else's id: nothing is stored under it (their teacher sees no conflict), and the answer is the one a
    // conflict gets, so the id's owner is not revealed.
    if (stored.pupil_id !== user.id) throw idConflict();
    if (stored.content_hash === hash) return { status: 200, receipt: receiptOf(stored) };
    await insertSubmissionVersion(ctx.db, {
      submission_id: id,
      content_hash: hash,
      pupil_id: user.id,
      text: body.text,
      files,
      submitted_at: submittedAt,
      received_at: now,
    });
    throw idConflict();
  };

  app.put(
    '/submissions/:id',
    {
      onRequest: authenticate(ctx, ACCESS_OR_DEVICE),
      schema: {
        summary: 'Submit homework (idempotent: the id is made on the device)',
        security: bearer,
        params: Type.Object({ id: SubmissionId }),
        body: SubmissionBody,
        response: {
          200: Type.Object({ receipt: Receipt }),
          201: Type.Object({ receipt: Receipt }),
          ...authErrors,
          403: ErrorBody,
          409: ErrorBody,
          413: ErrorBody,
          422: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const { status, receipt } = await submitOne(currentUser(request), request.params.id, request.body);
      return reply.status(status).send({ receipt });
    },
  );

  // A device draining its queue sends its pupil's small submissions together: one request, each item answered as
  // its own PUT would be (the same idempotency by id, the same checks), so a retried batch stores nothing twice.
  const checkSubmission = Compile(SubmissionBody);
  const openItem = async (item: SubmissionBatchItem): Promise<SubmissionBody> => {
    if ('submission' in item) return item.submission;
    const keys = await sealingKeys(ctx.db, ctx.now().toISOString());
    const plain = await openSealed(keys, item.seal, Buffer.from(item.sealed, 'base64url'));
    let parsed: unknown;
    try {
      parsed = JSON.parse(plain.toString('utf8'));
    } catch {
      throw new HttpError(400, 'bad_seal', 'Contenu chiffré illisible (JSON) : l’appareil doit renvoyer le devoir.');
    }
    if (!checkSubmission.Check(parsed))
      throw new HttpError(400, 'invalid_request', 'Devoir mal formé : l’appareil doit le renvoyer.');
    return parsed;
  };
  app.post(
    '/submissions/batch',
    {
      onRequest: authenticate(ctx, ACCESS_OR_DEVICE),
      bodyLimit: SUBMISSION_BATCH_LIMITS.maxBodyBytes,
      schema: {
        summary: 'Submit several homeworks of the signed-in pupil at once (each idempotent by its id)',
        security: bearer,
        body: SubmissionBatchBody,
        response: { 200: SubmissionBatchReply, ...authErrors, 413: ErrorBody },
      },
    },
    async (request) => {
      const user = currentUser(request);
      // Anyone but a pupil is refused whole, as their single PUT would be.
      requirePupil(user);
      const results = await Promise.all(
        request.body.items.map(async (item): Promise<SubmissionBatchResult> => {
          try {
            const { status, receipt } = await submitOne(user, item.id, await openItem(item));
            return { id: item.id, status, receipt };
          } catch (err) {
            if (err instanceof HttpError && err.statusCode < 500)
              return { id: item.id, status: err.statusCode, error: err.code, message: err.message };
            // The others are not held hostage by this one: it is answered as a retry, the device sends it again.
            request.log.error({ err, submissionId: item.id }, 'batch item failed');
            return { id: item.id, status: 503, error: 'overloaded', message: OVERLOADED.message };
          }
        }),
      );
      return { results };
    },
  );

  app.get(
    '/classes/:classId/assignments',
    {
      onRequest: authenticate(ctx),
      schema: {
        summary:
          'Teacher: every assignment of the class with how many pupils handed in, those removed from their week included',
        security: bearer,
        params: Type.Object({ classId: Id }),
        response: { 200: ClassAssignmentsReply, ...authErrors },
      },
    },
    async (request) => {
      const { classId } = request.params;
      await requireTeacherOf(ctx, currentUser(request), classId);
      const [rows, versions] = await Promise.all([
        assignmentsOfClass(ctx.db, classId),
        listAllWeekVersions(ctx.db, classId),
      ]);
      // The newest version of each week (listAllWeekVersions puts it first) says which assignments are still in it.
      const current = new Map<string, Set<string>>();
      for (const v of versions) {
        if (current.has(v.week)) continue;
        const manifest = JSON.parse(v.manifest) as { assignments: { id: string }[] };
        current.set(v.week, new Set(manifest.assignments.map((a) => a.id)));
      }
      return {
        assignments: rows.map((r) => ({
          week: r.week,
          assignmentId: r.assignment_id,
          title: r.title,
          dueAt: r.due_at,
          inWeek: current.get(r.week)?.has(r.assignment_id) ?? false,
          handedIn: r.handed_in,
        })),
      };
    },
  );

  app.get(
    '/classes/:classId/weeks/:week/assignments/:assignmentId/submissions',
    {
      onRequest: authenticate(ctx),
      schema: {
        summary: 'Teacher: the submissions of an assignment, per pupil, with both times and every version',
        security: bearer,
        params: Type.Object({ classId: Id, week: IsoWeek, assignmentId: Id }),
        response: { 200: AssignmentSubmissionsReply, ...authErrors },
      },
    },
    async (request) => {
      const { classId, week, assignmentId } = request.params;
      await requireTeacherOf(ctx, currentUser(request), classId);
      const assignment = await findAssignment(ctx.db, classId, week, assignmentId);
      if (!assignment) throw notFound('Devoir introuvable.');
      const { submissions, versions } = await submissionsOfAssignment(ctx.db, classId, week, assignmentId);
      const [pupils, feedback] = await Promise.all([
        pupilsOfClass(ctx.db, classId),
        latestFeedbackOf(
          ctx.db,
          submissions.map((s) => s.id),
        ),
      ]);
      /** One version as the teacher sees it: the first one received, or another that came with the same id. */
      const asVersion = (
        submissionId: string,
        row: { text: string; files: string; submitted_at: string; received_at: string },
        conflict: boolean,
      ) => ({
        submissionId,
        text: row.text,
        files: JSON.parse(row.files) as SubmittedFile[],
        submittedAt: row.submitted_at,
        receivedAt: row.received_at,
        late: row.submitted_at > assignment.due_at,
        conflict,
      });
      /** The copy as first received, with the teacher's newest return of it. */
      const returned = (s: SubmissionsTable) => {
        const version = asVersion(
          s.id,
          s,
          versions.some((v) => v.submission_id === s.id),
        );
        const given = feedback.get(s.id);
        return given ? { ...version, feedback: feedbackView(given) } : version;
      };
      return {
        assignmentId,
        title: assignment.title,
        dueAt: assignment.due_at,
        pupils: pupils.map((p) => ({
          pupilId: p.id,
          displayName: p.display_name,
          submissions: [
            ...submissions.filter((s) => s.pupil_id === p.id).map(returned),
            ...versions.filter((v) => v.pupil_id === p.id).map((v) => asVersion(v.submission_id, v, true)),
          ],
        })),
      };
    },
  );

  app.get(
    '/submissions/:id/files/:sha256',
    {
      onRequest: authenticate(ctx),
      schema: {
        summary: 'A file of a submission, for its pupil and their teacher',
        security: bearer,
        params: Type.Object({ id: SubmissionId, sha256: Sha256 }),
        response: { 200: Type.Unknown({ description: 'the file' }), ...authErrors },
      },
    },
    async (request, reply) => {
      const user = currentUser(request);
      const { id, sha256 } = request.params;
      const submission = await findSubmission(ctx.db, id);
      const readable =
        submission &&
        (submission.pupil_id === user.id ||
          (user.role !== 'pupil' && (await classesOfUser(ctx.db, user)).some((c) => c.id === submission.class_id)));
      if (!submission || !readable) throw notFound('Fichier introuvable.');
      const all = [submission, ...(await versionsOf(ctx.db, id))].flatMap(
        (v) => JSON.parse(v.files) as SubmittedFile[],
      );
      const file = all.find((f) => f.sha256 === sha256);
      const stream = file && (await ctx.storage.read(sha256));
      if (!file || !stream) throw notFound('Fichier introuvable.');
      // The type the bytes were checked as at upload, from the allowlist; never a client's string in a header (rows
      // stored before the allowlist may hold anything).
      const checked = (await uploadTypes(ctx.db, [sha256])).get(sha256) ?? '';
      return reply
        .type(isHomeworkFileType(checked) ? checked : 'application/octet-stream')
        .header('cache-control', 'private, max-age=31536000, immutable')
        .header('content-disposition', `attachment; filename="${file.name.replace(/[^\w.-]+/g, '_')}"`)
        .send(stream);
    },
  );
};
