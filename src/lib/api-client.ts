'use client';

import { loginPath } from './next-path';

export interface ApiErrorBody {
  error: { code: string; message: string; issues?: { path: string; message: string }[]; traceId?: string | null };
}

export class ApiCallError extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiErrorBody,
    /** From Retry-After on a 429: how long until the next attempt may succeed. */
    readonly retryAfterSeconds?: number,
  ) {
    super(body.error.message);
  }

  get code(): string {
    return this.body.error.code;
  }
}

let csrfToken: Promise<string> | undefined;

function fetchCsrfToken(): Promise<string> {
  csrfToken ??= fetch('/api/auth/csrf', { credentials: 'same-origin' })
    .then((r) => r.json() as Promise<{ csrfToken: string }>)
    .then((b) => b.csrfToken)
    .catch((error: unknown) => {
      csrfToken = undefined;
      throw error;
    });
  return csrfToken;
}

/** Same-origin JSON call with the CSRF double-submit token on every state-changing request. */
export async function api<T>(path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<T> {
  const method = init.method ?? 'GET';
  const headers: Record<string, string> = { ...init.headers };
  if (method !== 'GET') headers['x-csrf-token'] = await fetchCsrfToken();
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  if (res.status === 204) return undefined as T;
  const body = (await res.json().catch(() => ({ error: { code: 'bad_response', message: `HTTP ${res.status}` } }))) as unknown;
  if (res.status === 401 && !path.startsWith('/api/auth/')) {
    // The session ended (expired, signed out elsewhere): sign in again and come back here. The forms keep what was
    // typed in sessionStorage (useDraft), so nothing is lost on the way.
    window.location.assign(loginPath(`${window.location.pathname}${window.location.search}`));
  }
  if (!res.ok) {
    const retryAfter = Number(res.headers.get('retry-after'));
    throw new ApiCallError(res.status, body as ApiErrorBody, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined);
  }
  return body as T;
}

export { formatCents } from './format';
