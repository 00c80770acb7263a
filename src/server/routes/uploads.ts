/**
 * Homework files, uploaded by content before the submission that references them: PUT checks the bytes against the
 * hash in the URL and is idempotent; GET (and HEAD) says whether the server has the file, so an interrupted upload
 * resumes without sending again what arrived.
 */
import { Type } from 'typebox';
import { ErrorBody, Sha256, UploadReply } from '../../protocol/schemas.ts';
import { ACCESS_OR_DEVICE, authenticate, currentUser } from '../auth/authenticate.ts';
import type { RoutePlugin } from '../context.ts';
import { findUpload, recordUpload } from '../db/homework-queries.ts';
import { HttpError, notFound } from '../errors.ts';
import { sha256Hex } from '../publish.ts';
import { authErrors, bearer } from './common.ts';

/** What a pupil may attach: photos of a page, images, PDF. */
export const UPLOAD_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/heic', 'image/heif', 'application/pdf'];
export const MAX_UPLOAD_BYTES = 20 * 1024 * 1024;

export const uploadRoutes: RoutePlugin = async (app, { ctx }) => {
  app.addContentTypeParser(UPLOAD_TYPES, { parseAs: 'buffer', bodyLimit: MAX_UPLOAD_BYTES }, (_req, body, done) => {
    done(null, body);
  });

  app.get(
    '/uploads/:sha256',
    {
      preHandler: authenticate(ctx, ACCESS_OR_DEVICE),
      schema: {
        summary: 'Whether the server holds this homework file (use HEAD to ask without a body)',
        security: bearer,
        params: Type.Object({ sha256: Sha256 }),
        response: { 200: UploadReply, ...authErrors },
      },
    },
    async (request) => {
      const upload = await findUpload(ctx.db, request.params.sha256);
      if (!upload) throw notFound('Fichier pas encore reçu.');
      return { sha256: upload.sha256, size: upload.size, stored: false };
    },
  );

  app.put(
    '/uploads/:sha256',
    {
      preHandler: authenticate(ctx, ACCESS_OR_DEVICE),
      schema: {
        summary: `Upload a homework file by its SHA-256 (${UPLOAD_TYPES.join(', ')}; at most 20 MiB)`,
        security: bearer,
        params: Type.Object({ sha256: Sha256 }),
        response: { 200: UploadReply, 201: UploadReply, ...authErrors, 413: ErrorBody, 415: ErrorBody, 422: ErrorBody },
      },
    },
    async (request, reply) => {
      const user = currentUser(request);
      const { sha256 } = request.params;
      const body: unknown = request.body;
      if (!Buffer.isBuffer(body))
        throw new HttpError(415, 'unsupported_media_type', `Types acceptés : ${UPLOAD_TYPES.join(', ')}.`);
      if (sha256Hex(body) !== sha256) {
        throw new HttpError(
          422,
          'hash_mismatch',
          'Le contenu reçu ne correspond pas à son empreinte SHA-256 : envoi incomplet ou altéré.',
        );
      }
      if (await findUpload(ctx.db, sha256))
        return reply.status(200).send({ sha256, size: body.byteLength, stored: false });
      const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
      await ctx.storage.put(sha256, body);
      await recordUpload(ctx.db, {
        sha256,
        size: body.byteLength,
        type,
        uploader_id: user.id,
        created_at: ctx.now().toISOString(),
      });
      return reply.status(201).send({ sha256, size: body.byteLength, stored: true });
    },
  );
};
