/**
 * School administration: a class's pupils imported from a CSV file (src/server/accounts/pupil-csv.ts). Valid lines
 * become accounts with a secret to print on sign-in cards (shown once, stored only as a scrypt hash); each rejected
 * line is reported with its reason.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { Type } from 'typebox';
import { ErrorBody, Id } from '../../protocol/schemas.ts';
import { cardSecret, parsePupilCsv } from '../accounts/pupil-csv.ts';
import { authenticate, currentUser } from '../auth/authenticate.ts';
import { requireAdmin, requireClassReader } from '../auth/policy.ts';
import { hashSecret } from '../auth/secrets.ts';
import type { RoutePlugin } from '../context.ts';
import { HttpError } from '../errors.ts';
import { authErrors, bearer } from './common.ts';

const MAX_CSV_BYTES = 1024 * 1024;

const ImportReply = Type.Object({
  created: Type.Array(
    Type.Object({
      line: Type.Integer(),
      username: Type.String(),
      displayName: Type.String(),
      secret: Type.String({ description: 'to print on the pupil’s sign-in card: it is not stored, only its hash' }),
    }),
  ),
  rejected: Type.Array(Type.Object({ line: Type.Integer(), reason: Type.String() })),
});

export const accountRoutes: RoutePlugin = async (app, { ctx }) => {
  app.addContentTypeParser('text/csv', { parseAs: 'string', bodyLimit: MAX_CSV_BYTES }, (_req, body, done) => {
    done(null, body);
  });

  app.post(
    '/classes/:classId/pupils/import',
    {
      onRequest: authenticate(ctx),
      schema: {
        summary: 'Import a class’s pupils from CSV (school admins): prenom;nom[;identifiant], one pupil a line',
        security: bearer,
        params: Type.Object({ classId: Id }),
        response: { 200: ImportReply, 403: ErrorBody, 413: ErrorBody, 415: ErrorBody, 422: ErrorBody, ...authErrors },
      },
    },
    async (request) => {
      const user = currentUser(request);
      const klass = await requireClassReader(ctx, user, request.params.classId);
      requireAdmin(user);
      if (typeof request.body !== 'string')
        throw new HttpError(415, 'unsupported_media_type', 'Envoyez le fichier CSV (Content-Type: text/csv).');
      const parsed = parsePupilCsv(request.body);
      if (parsed.problem) throw new HttpError(422, 'invalid_csv', parsed.problem);
      const wanted = parsed.pupils.map((p) => p.username);
      const taken = new Set(
        wanted.length === 0
          ? []
          : (await ctx.db.selectFrom('users').select('username').where('username', 'in', wanted).execute()).map(
              (r) => r.username,
            ),
      );
      const rejected = [...parsed.rejected];
      const accepted = parsed.pupils.filter((p) => {
        if (!taken.has(p.username)) return true;
        rejected.push({ line: p.line, reason: `identifiant « ${p.username} » déjà pris dans l’école` });
        return false;
      });
      const created = await Promise.all(
        accepted.map(async (p) => {
          const secret = cardSecret((n) => randomInt(n));
          return { ...p, secret, hash: await hashSecret(secret), id: randomUUID() };
        }),
      );
      const now = ctx.now().toISOString();
      // The same file imported twice at once (or a name taken meanwhile): a username is inserted once, whoever comes
      // first; the line that lost is reported as taken instead of failing the whole import.
      const inserted = new Set<string>();
      if (created.length > 0) {
        await ctx.db.transaction().execute(async (tx) => {
          const rows = await tx
            .insertInto('users')
            .values(
              created.map((p) => ({
                id: p.id,
                // An admin reads only their own school's classes (requireClassReader above).
                school_id: user.school_id,
                role: 'pupil' as const,
                username: p.username,
                display_name: `${p.firstName} ${p.lastName}`,
                secret_hash: p.hash,
                created_at: now,
              })),
            )
            .onConflict((oc) => oc.column('username').doNothing())
            .returning('id')
            .execute();
          for (const r of rows) inserted.add(r.id);
          if (inserted.size > 0)
            await tx
              .insertInto('class_pupils')
              .values([...inserted].map((id) => ({ class_id: klass.id, pupil_id: id })))
              .execute();
        });
      }
      for (const p of created)
        if (!inserted.has(p.id))
          rejected.push({ line: p.line, reason: `identifiant « ${p.username} » déjà pris dans l’école` });
      return {
        created: created
          .filter((p) => inserted.has(p.id))
          .map((p) => ({
            line: p.line,
            username: p.username,
            displayName: `${p.firstName} ${p.lastName}`,
            secret: p.secret,
          })),
        rejected: rejected.sort((a, b) => a.line - b.line),
      };
    },
  );
};
