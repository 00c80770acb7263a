/** What the routes share: response schemas (so OpenAPI documents every error the same way) and upload checks. */
import type { FastifyRequest } from 'fastify';
import { ErrorBody } from '../../protocol/schemas.ts';
import { HttpError } from '../errors.ts';

/** The client errors every authenticated route can answer. */
export const authErrors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody } as const;

/** The security requirement of routes that need a bearer token. */
export const bearer = [{ bearerAuth: [] }];

/** A size for people: "20 Mo". */
export const megabytes = (bytes: number) => `${Math.round((bytes / 1024 / 1024) * 10) / 10} Mo`;

/**
 * An onRequest hook for a file upload: refuses it from its headers, before a byte of the body is read (413 over
 * `maxBytes`, 415 for a declared type `accepts` refuses, named by `accepted` in the message). Lesson files and homework
 * files use it, each with its own limit and types.
 */
export function refuseFileByHeaders(options: {
  maxBytes: number;
  /** The declared type as the route stores it (canonical), or '' when absent. */
  typeOf: (header: string) => string;
  accepts: (type: string) => boolean;
  accepted: string;
}) {
  return async (request: FastifyRequest): Promise<void> => {
    const length = Number(request.headers['content-length'] ?? Number.NaN);
    if (Number.isFinite(length) && length > options.maxBytes)
      throw new HttpError(
        413,
        'file_too_large',
        `Fichier trop lourd (${megabytes(length)}) : ${megabytes(options.maxBytes)} au plus par fichier.`,
      );
    const type = options.typeOf(request.headers['content-type'] ?? '');
    if (!options.accepts(type))
      throw new HttpError(
        415,
        'unsupported_media_type',
        `Type de fichier refusé (${type || 'inconnu'}). Acceptés : ${options.accepted}.`,
      );
  };
}
