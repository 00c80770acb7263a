/**
 * Content-addressed files. The URL names the bytes, so they never change: any browser, proxy or CDN may keep them
 * forever. Knowing a file's hash is what lets you fetch it (hashes appear only in manifests of your classes).
 */
import { Type } from 'typebox';
import { ErrorBody, Sha256 } from '../../protocol/schemas.ts';
import type { RoutePlugin } from '../context.ts';
import { findFile } from '../db/queries.ts';
import { notFound } from '../errors.ts';
import { etagMatches } from './weeks.ts';

export const IMMUTABLE = 'public, max-age=31536000, immutable';

export const fileRoutes: RoutePlugin = async (app, { ctx }) => {
  app.get(
    '/files/:sha256',
    {
      schema: {
        summary: 'The bytes of a file, by SHA-256; immutable',
        params: Type.Object({ sha256: Sha256 }),
        response: { 200: Type.Unknown({ description: 'the file' }), 304: Type.Null(), 400: ErrorBody, 404: ErrorBody },
      },
    },
    async (request, reply) => {
      const { sha256 } = request.params;
      const meta = await findFile(ctx.db, sha256);
      const stream = meta && (await ctx.storage.read(sha256));
      if (!meta || !stream) throw notFound('Fichier introuvable.');
      void reply.header('cache-control', IMMUTABLE).header('etag', `"${sha256}"`);
      if (etagMatches(request.headers['if-none-match'], `"${sha256}"`)) {
        stream.destroy();
        return reply.status(304).send(null);
      }
      return reply.type(meta.type).header('content-length', meta.size).send(stream);
    },
  );
};
