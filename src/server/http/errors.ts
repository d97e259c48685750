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
