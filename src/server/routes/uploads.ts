/**
 * Homework files, uploaded by content before the submission that references them: PUT checks the bytes against the
 * hash in the URL and against the declared type, and is idempotent; GET (and HEAD) says whether this pupil has
 * uploaded the file, so an interrupted upload resumes without sending again what arrived. Nobody learns whether a
 * file someone else uploaded exists: the bytes are stored once, but each pupil uploads (and so proves they hold)
 * their own copy.
 */
import { Type } from 'typebox';
import {
  HOMEWORK_FILE_TYPES,
  HOMEWORK_LIMITS,
  isHomeworkFileType,
  MAX_HOMEWORK_FILE_BYTES,
} from '../../protocol/homework-files.ts';
import { ErrorBody, Sha256, UploadReply } from '../../protocol/schemas.ts';
import { ACCESS_OR_DEVICE, authenticate, currentUser } from '../auth/authenticate.ts';
import type { RoutePlugin } from '../context.ts';
import { findOwnUpload, recordUpload } from '../db/homework-queries.ts';
import { HttpError, notFound } from '../errors.ts';
import { bytesMatchType } from '../files/sniff.ts';
import { sha256Hex } from '../publish.ts';
import { authErrors, bearer, megabytes, refuseFileByHeaders } from './common.ts';

/** The declared type, without parameters, in lower case ('' when absent). */
const declaredType = (header: string | undefined) => (header ?? '').split(';')[0]?.trim().toLowerCase() ?? '';

export const uploadRoutes: RoutePlugin = async (app, { ctx }) => {
  app.addContentTypeParser(
    [...HOMEWORK_FILE_TYPES],
    { parseAs: 'buffer', bodyLimit: MAX_HOMEWORK_FILE_BYTES },
    (_req, body, done) => {
      done(null, body);
    },
  );

  app.get(
    '/uploads/:sha256',
    {
      onRequest: authenticate(ctx, ACCESS_OR_DEVICE),
      schema: {
        summary: 'Whether this user has uploaded this homework file (use HEAD to ask without a body)',
        security: bearer,
        params: Type.Object({ sha256: Sha256 }),
        response: { 200: UploadReply, ...authErrors },
      },
    },
    async (request) => {
      const upload = await findOwnUpload(ctx.db, request.params.sha256, currentUser(request).id);
      if (!upload) throw notFound('Fichier pas encore reçu.');
      return { sha256: upload.sha256, size: upload.size, stored: false };
    },
  );

  app.put(
    '/uploads/:sha256',
    {
      // Size and type are checked from the headers, then the token, all before a byte of the body is read.
      onRequest: [
        refuseFileByHeaders({
          maxBytes: (ctx.homework ?? HOMEWORK_LIMITS).maxFileBytes,
          typeOf: declaredType,
          accepts: isHomeworkFileType,
          accepted: HOMEWORK_FILE_TYPES.join(', '),
        }),
        authenticate(ctx, ACCESS_OR_DEVICE),
      ],
      schema: {
        summary: `Upload a homework file by its SHA-256 (${HOMEWORK_FILE_TYPES.join(', ')}; at most ${megabytes(MAX_HOMEWORK_FILE_BYTES)})`,
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
        throw new HttpError(415, 'unsupported_media_type', `Types acceptés : ${HOMEWORK_FILE_TYPES.join(', ')}.`);
      if (sha256Hex(body) !== sha256) {
        throw new HttpError(
          422,
          'hash_mismatch',
          'Le contenu reçu ne correspond pas à son empreinte SHA-256 : envoi incomplet ou altéré.',
        );
      }
      const type = declaredType(request.headers['content-type']);
      // HEIF and HEIC are one container: the sniffer names both image/heic.
      if (!bytesMatchType(body, type === 'image/heif' ? 'image/heic' : type))
        throw new HttpError(415, 'type_mismatch', `Le contenu de ce fichier n’est pas du type annoncé (${type}).`);
      await ctx.storage.put(sha256, body);
      const mine = await recordUpload(ctx.db, {
        sha256,
        size: body.byteLength,
        type,
        uploader_id: user.id,
        created_at: ctx.now().toISOString(),
      });
      return reply.status(mine ? 201 : 200).send({ sha256, size: body.byteLength, stored: mine });
    },
  );
};
