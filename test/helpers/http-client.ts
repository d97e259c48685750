/**
 * A small HTTP client for the API tests: a cookie jar, the CSRF token fetched on first need and sent on every
 * state-changing request, and JSON in and out.
 */

/** Response bodies are checked with expect() at run time, so tests may read them without declaring types. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export interface ApiResponse<T = Json> {
  status: number;
  headers: Headers;
  /** The parsed JSON body, or undefined when there is none (204) or it is not JSON. */
  body: T;
  text: string;
}

export interface RequestOptions {
  /** Sent as JSON with content-type application/json. */
  json?: unknown;
  /** Sent as is (use `headers` for its content type). */
  body?: BodyInit;
  headers?: Record<string, string>;
  /** 'auto' (default): the jar's token on non-GET requests; false: none; a string: that token. */
  csrf?: 'auto' | false | string;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export class HttpClient {
  readonly cookies = new Map<string, string>();
  private csrfToken: string | undefined;

  constructor(readonly baseUrl: string) {}

  /** The raw value of a cookie in the jar. */
  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }

  setCookie(name: string, value: string): void {
    this.cookies.set(name, value);
  }

  /** GET /api/auth/csrf: stores the cookie and returns the token. */
  async fetchCsrfToken(): Promise<string> {
    const res = await this.request<{ csrfToken: string }>('GET', '/api/auth/csrf');
    if (res.status !== 200) throw new Error(`GET /api/auth/csrf answered ${res.status}: ${res.text}`);
    this.csrfToken = res.body.csrfToken;
    return this.csrfToken;
  }

  async request<T = Json>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = {};
    const csrf = options.csrf ?? 'auto';
    if (!SAFE_METHODS.has(method) && csrf !== false) {
      headers['x-csrf-token'] = csrf === 'auto' ? (this.csrfToken ?? (await this.fetchCsrfToken())) : csrf;
    }
    let body = options.body;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    }
    Object.assign(headers, options.headers);
    if (this.cookies.size > 0 && !Object.keys(headers).some((h) => h.toLowerCase() === 'cookie')) {
      headers.cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    }
    const res = await fetch(new URL(path, this.baseUrl), {
      method,
      headers,
      body,
      redirect: 'manual',
      ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
    } as RequestInit);
    this.storeCookies(res.headers);
    const text = await res.text();
    let parsed: unknown;
    if (text && (res.headers.get('content-type') ?? '').includes('application/json')) parsed = JSON.parse(text);
    return { status: res.status, headers: res.headers, body: parsed as T, text };
  }

  get<T = Json>(path: string, options?: RequestOptions) {
    return this.request<T>('GET', path, options);
  }

  post<T = Json>(path: string, json?: unknown, options: RequestOptions = {}) {
    return this.request<T>('POST', path, json === undefined ? options : { ...options, json });
  }

  delete<T = Json>(path: string, options?: RequestOptions) {
    return this.request<T>('DELETE', path, options);
  }

  async login(email: string, password: string, options?: RequestOptions): Promise<ApiResponse> {
    return this.post('/api/auth/login', { email, password }, options);
  }

  /** The Cookie header the jar would send. */
  cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  private storeCookies(headers: Headers): void {
    for (const setCookie of headers.getSetCookie()) {
      const [pair = '', ...attributes] = setCookie.split(';');
      const eq = pair.indexOf('=');
      if (eq < 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => {
        const [key = '', val = ''] = a.split('=').map((s) => s.trim());
        if (key.toLowerCase() === 'max-age') return Number(val) <= 0;
        if (key.toLowerCase() === 'expires') return new Date(val).getTime() <= Date.now();
        return false;
      });
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}

/** A W3C traceparent with a fresh random trace id, and that id. */
export function newTraceparent(): { traceparent: string; traceId: string } {
  const hex = (bytes: number) => Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString('hex');
  const traceId = hex(16);
  return { traceparent: `00-${traceId}-${hex(8)}-01`, traceId };
}
