import crypto from 'node:crypto';

/** Response bodies are checked with expect() at run time. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: Json;
  text: string;
}

/** A W3C traceparent for a new, sampled trace: the request id the server should record. */
export function newTraceparent(): { traceparent: string; traceId: string } {
  const traceId = crypto.randomBytes(16).toString('hex');
  return { traceId, traceparent: `00-${traceId}-${crypto.randomBytes(8).toString('hex')}-01` };
}

/** One browser-like client: a cookie jar, the CSRF token on state-changing requests, JSON in and out. */
export class HttpClient {
  readonly cookies = new Map<string, string>();
  private csrfToken: string | undefined;

  constructor(
    readonly baseUrl: string,
    readonly userAgent = 'drop-audit-test/1.0',
  ) {}

  async request(method: string, path: string, options: { json?: unknown; headers?: Record<string, string> } = {}): Promise<ApiResponse> {
    const headers: Record<string, string> = { 'user-agent': this.userAgent, ...options.headers };
    if (method !== 'GET') {
      this.csrfToken ??= (await this.request('GET', '/api/auth/csrf')).body.csrfToken as string;
      headers['x-csrf-token'] = this.csrfToken;
    }
    if (options.json !== undefined) headers['content-type'] = 'application/json';
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(new URL(path, this.baseUrl), {
      method,
      headers,
      body: options.json === undefined ? undefined : JSON.stringify(options.json),
      redirect: 'manual',
    });
    for (const cookie of res.headers.getSetCookie()) {
      const [pair = ''] = cookie.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (!value || /max-age=0/i.test(cookie)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const text = await res.text();
    const body = (res.headers.get('content-type') ?? '').includes('application/json') && text ? JSON.parse(text) : undefined;
    return { status: res.status, headers: res.headers, body, text };
  }

  get(path: string, headers?: Record<string, string>) {
    return this.request('GET', path, { headers });
  }

  post(path: string, json?: unknown, headers?: Record<string, string>) {
    return this.request('POST', path, { json, headers });
  }

  delete(path: string, headers?: Record<string, string>) {
    return this.request('DELETE', path, { headers });
  }

  async login(email: string, password: string, headers?: Record<string, string>) {
    return this.post('/api/auth/login', { email, password }, headers);
  }
}
