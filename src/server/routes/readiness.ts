/**
 * "Qui est prêt ?": for a teacher preparing the week, per pupil of the class, whether one of their devices holds the
 * week's current version and when one last reached the server (pupil-contacts.ts, learnt from the manifest requests
 * devices already make), and where they stand on each assignment: pas rendu, en attente d'envoi (a device of theirs
 * said, with its returns check, that it still holds it: ids only), rendu, corrigé, vu.
 */
import { Type } from 'typebox';
import { Id, IsoWeek, ReadinessReply, type AssignmentStanding } from '../../protocol/schemas.ts';
import { isValidIsoWeek } from '../../protocol/iso-week.ts';
import { authenticate, currentUser } from '../auth/authenticate.ts';
import { requireTeacherOf } from '../auth/policy.ts';
import type { RoutePlugin } from '../context.ts';
import { latestFeedbackOf } from '../db/feedback-queries.ts';
import { pupilsOfClass } from '../db/homework-queries.ts';
import { latestReleasedWeek } from '../db/queries.ts';
import { HttpError } from '../errors.ts';
import { authErrors, bearer } from './common.ts';

export const readinessRoutes: RoutePlugin = async (app, { ctx }) => {
  app.get(
    '/classes/:classId/readiness',
    {
      onRequest: authenticate(ctx),
      schema: {
        summary: 'Teacher: per pupil, whether their devices hold the week, their last contact, each assignment’s state',
        security: bearer,
        params: Type.Object({ classId: Id }),
        querystring: Type.Object({ week: IsoWeek }, { additionalProperties: false }),
        response: { 200: ReadinessReply, ...authErrors },
      },
    },
    async (request) => {
      const { classId } = request.params;
      const { week } = request.query;
      if (!isValidIsoWeek(week)) throw new HttpError(400, 'invalid_week', `La semaine ${week} n’existe pas.`);
      await requireTeacherOf(ctx, currentUser(request), classId);
      // What this instance learnt and has not written yet (others write theirs every few seconds).
      await ctx.contacts?.flush();
      const [current, pupils, held, submissions, pendingRows] = await Promise.all([
        latestReleasedWeek(ctx.db, classId, week, ctx.now().toISOString()),
        pupilsOfClass(ctx.db, classId),
        ctx.db.selectFrom('pupil_weeks').selectAll().where('class_id', '=', classId).execute(),
        ctx.db
          .selectFrom('submissions')
          .select(['id', 'pupil_id', 'assignment_id'])
          .where('class_id', '=', classId)
          .where('week', '=', week)
          .execute(),
        ctx.db
          .selectFrom('pupil_pending')
          .selectAll()
          .where('user_id', 'in', (eb) =>
            eb.selectFrom('class_pupils').select('pupil_id').where('class_id', '=', classId),
          )
          .execute(),
      ]);
      const pending = new Map(pendingRows.map((r) => [r.user_id, new Set(JSON.parse(r.items) as string[])]));
      const feedback = await latestFeedbackOf(
        ctx.db,
        submissions.map((s) => s.id),
      );
      const assignments = current
        ? (JSON.parse(current.manifest) as { assignments: { id: string; title: string }[] }).assignments.map((a) => ({
            assignmentId: a.id,
            title: a.title,
          }))
        : [];
      const standing = (pupilId: string, assignmentId: string): AssignmentStanding => {
        const copies = submissions.filter((s) => s.pupil_id === pupilId && s.assignment_id === assignmentId);
        if (copies.length === 0)
          return pending.get(pupilId)?.has(`${classId}/${week}/${assignmentId}`) ? 'en_attente' : 'pas_rendu';
        const returns = copies.flatMap((c) => {
          const f = feedback.get(c.id);
          return f ? [f] : [];
        });
        if (returns.some((f) => f.seen_at)) return 'vu';
        return returns.length > 0 ? 'corrige' : 'rendu';
      };
      return {
        week,
        ...(current ? { latestVersion: current.version } : {}),
        assignments,
        pupils: pupils.map((p) => {
          const mine = held.filter((h) => h.user_id === p.id);
          const thisWeek = mine.find((h) => h.week === week);
          const last = mine.reduce<string | undefined>(
            (max, h) => (max === undefined || h.last_contact_at > max ? h.last_contact_at : max),
            undefined,
          );
          return {
            pupilId: p.id,
            displayName: p.display_name,
            ...(thisWeek ? { holdsVersion: thisWeek.version } : {}),
            ready: current !== undefined && thisWeek !== undefined && thisWeek.version >= current.version,
            ...(last ? { lastContactAt: last } : {}),
            assignments: assignments.map((a) => ({
              assignmentId: a.assignmentId,
              standing: standing(p.id, a.assignmentId),
            })),
          };
        }),
      };
    },
  );
};
