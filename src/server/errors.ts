/** Every error the API answers has the same JSON shape: { error, message }. */
import type { FastifyError, FastifyInstance } from 'fastify';
import type { ErrorCode } from '../protocol/error-codes.ts';
import { canonicalDateTime } from '../protocol/storable.ts';

/** An error meant for the client, with its status and stable code. */
export class HttpError extends Error {
  /** Sent as Retry-After with a 429 or 503. */
  retryAfterSeconds?: number;
  constructor(
    readonly statusCode: number,
    readonly code: ErrorCode,
    message: string,
    /** More fields of the error body, for the client to act on (e.g. the current version of a stale publication). */
    readonly details: Record<string, string | number> = {},
  ) {
    super(message);
  }
}

export const notFound = (what = 'Ressource introuvable.') => new HttpError(404, 'not_found', what);
export const unauthorized = () =>
  new HttpError(401, 'unauthorized', 'Connexion requise : jeton absent, invalide ou expiré.');

/** The canonical form of a date-time field (storable.ts), or 400 naming the field: a day the month lacks. */
export function requireDateTime(text: string, field: string): string {
  const canonical = canonicalDateTime(text);
  if (canonical === undefined)
    throw new HttpError(400, 'invalid_date_time', `${field} : date et heure invalides (${text.slice(0, 40)}).`);
  return canonical;
}

/** Fastify's own error codes, translated to the API's codes. */
const FASTIFY_CODES: Record<string, [number, ErrorCode]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'body_too_large'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'unsupported_media_type'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'invalid_json'],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'invalid_json'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'invalid_request'],
};

/** Errors the router raises before any route or hook runs (a malformed or over-long path), in the API's shape. */
export function frameworkError(err: FastifyError): { status: number; body: { error: ErrorCode; message: string } } {
  const tooLong = err.code === 'FST_ERR_MAX_PARAM_LENGTH';
  return {
    status: tooLong ? 414 : 400,
    body: { error: tooLong ? 'uri_too_long' : 'invalid_url', message: 'Adresse de requête invalide.' },
  };
}

/** Installs the error handler: client errors keep their status; anything unexpected is logged and answers 500. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err instanceof HttpError) {
      if (err.retryAfterSeconds !== undefined) void reply.header('retry-after', String(err.retryAfterSeconds));
      return reply.status(err.statusCode).send({ ...err.details, error: err.code, message: err.message });
    }
    if (err.validation) {
      return reply.status(400).send({ error: 'invalid_request', message: err.message });
    }
    const known = err.code ? FASTIFY_CODES[err.code] : undefined;
    if (known) return reply.status(known[0]).send({ error: known[1], message: err.message });
    if (err instanceof SyntaxError || (err.statusCode === 400 && /JSON/i.test(err.message))) {
      return reply
        .status(400)
        .send({ error: 'invalid_json', message: 'Le corps de la requête n’est pas du JSON valide.' });
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return reply.status(err.statusCode).send({ error: 'invalid_request', message: err.message });
    }
    request.log.error({ err }, 'unhandled error');
    return reply.status(500).send({ error: 'internal', message: 'Erreur interne du serveur.' });
  });
}
