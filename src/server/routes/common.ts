/** Response schemas shared by the routes, so OpenAPI documents every error the same way. */
import { ErrorBody } from '../../protocol/schemas.ts';

/** The client errors every authenticated route can answer. */
export const authErrors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody } as const;

/** The security requirement of routes that need a bearer token. */
export const bearer = [{ bearerAuth: [] }];
