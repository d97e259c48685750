import { AuditKeyMismatchError } from '@audit';
import { isDatabaseBusy, isDatabaseUnavailable } from '../db/errors';
import { DomainError, type DomainErrorKind } from '../domain/errors';

/** A failure that belongs to the HTTP boundary itself (CSRF, body size, content type, auth). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

const statusByKind: Record<DomainErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  rate_limited: 429,
};

export function fromDomainError(error: DomainError): HttpError {
  const headers: Record<string, string> = error.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(error.retryAfterSeconds) };
  return new HttpError(statusByKind[error.kind], error.code, error.message, headers);
}

export const unauthenticated = () => new HttpError(401, 'unauthenticated', 'Sign in first');
export const forbidden = () => new HttpError(403, 'forbidden', 'You do not have access to this resource');
export const csrfFailed = () =>
  new HttpError(403, 'csrf_failed', 'Missing or invalid CSRF token; fetch one from GET /api/auth/csrf and send it in x-csrf-token');

export const noSuchEndpoint = (path: string) => new HttpError(404, 'not_found', `There is no API endpoint at ${path}`);
export const methodNotAllowed = (method: string, allow: string) =>
  new HttpError(405, 'method_not_allowed', `${method} is not supported here; use ${allow}`, { Allow: allow });

/** Seconds a client is asked to wait after the database was too busy to take its write. */
export const BUSY_RETRY_AFTER_SECONDS = 1;

/** Seconds a client is asked to wait while the database is away (stopped, restarting, unreachable). */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

export const databaseUnavailable = () =>
  new HttpError(503, 'database_unavailable', 'The service is temporarily unavailable; retry shortly', {
    'Retry-After': String(UNAVAILABLE_RETRY_AFTER_SECONDS),
  });

/**
 * Server-side failures a client can be told about without revealing anything: the database away (retry in a few
 * seconds), SQLite's write lock still taken after busy_timeout (retry shortly), and an audit master key that does
 * not open stored keys (an operator must fix the configuration). All are 503s with the usual JSON error, not a
 * bare 500.
 */
export function fromServerFault(error: unknown): HttpError | undefined {
  if (isDatabaseUnavailable(error)) return databaseUnavailable();
  if (isDatabaseBusy(error))
    return new HttpError(503, 'database_busy', 'The database is busy; retry shortly', { 'Retry-After': String(BUSY_RETRY_AFTER_SECONDS) });
  if (error instanceof AuditKeyMismatchError)
    return new HttpError(503, 'audit_key_mismatch', 'The audit trail cannot be written: its encryption key is misconfigured');
  return undefined;
}
