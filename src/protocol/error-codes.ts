/**
 * Every `error` code the API answers, in one list: the server can only raise these (HttpError takes an ErrorCode),
 * and the app has a sentence for each in every language (src/app/i18n, checked by i18n.test.ts). The server's own
 * `message` is only a fallback for a code the app does not know yet (an older app and a newer server).
 */
export const ERROR_CODES = [
  // requests
  'invalid_json',
  'invalid_request',
  'invalid_url',
  'uri_too_long',
  'invalid_week',
  'invalid_date_time',
  'invalid_name',
  'length_required',
  'request_timeout',
  'body_too_large',
  'too_large',
  'file_too_large',
  'unsupported_media_type',
  'type_mismatch',
  'hash_mismatch',
  // who may do what
  'unauthorized',
  'invalid_credentials',
  'invalid_refresh_token',
  'too_many_attempts',
  'too_many_requests',
  'pupils_only',
  'teachers_only',
  'admins_only',
  'not_found',
  // homework
  'unknown_assignment',
  'missing_file',
  'homework_too_large',
  'conflict',
  'bad_seal',
  // feedback
  'invalid_mark',
  'no_profile_key',
  'invalid_key',
  // publishing and school
  'files_missing',
  'duplicate_id',
  'stale_base',
  'invalid_csv',
  'username_taken',
  // the server's state
  'overloaded',
  'database_unavailable',
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Codes the device itself gives an item it could not send (src/sync/outbox.ts), also worded in the app. */
export const DEVICE_ERROR_CODES = ['missing_local_file', 'network'] as const;
export type DeviceErrorCode = (typeof DEVICE_ERROR_CODES)[number];

export const isErrorCode = (code: string): code is ErrorCode => (ERROR_CODES as readonly string[]).includes(code);
