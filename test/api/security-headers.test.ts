import { describe, expect, it } from 'vitest';
import { STRICT_TRANSPORT_SECURITY } from '../../src/server/http/security-headers';
import { DEMO_PASSWORD } from '../helpers/app-server';
import { useStack } from '../helpers/stack';
import type { ApiResponse, HttpClient } from '../helpers/http-client';

/** The directives of a Content-Security-Policy header, by name. */
function directives(header: string | null): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const part of (header ?? '').split(';')) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name) out.set(name, values);
  }
  return out;
}

const nonceOf = (csp: Map<string, string[]>) =>
  csp
    .get('script-src')
    ?.find((v) => v.startsWith("'nonce-"))
    ?.slice("'nonce-".length, -1);

const PAGES = ['/login', '/', '/admin/audit', '/admin/debug'];

// Headers do not depend on the database: SQLite only.
describe('security headers (SQLite)', () => {
  const fixture = useStack();

  async function admin(): Promise<HttpClient> {
    const client = fixture().client();
    expect((await client.login('admin@drop.test', DEMO_PASSWORD)).status).toBe(200);
    return client;
  }

  describe('Content-Security-Policy on pages', () => {
    it.each(PAGES)('%s: a nonce-based policy whose nonce is on every script of the page, fresh per response', async (path) => {
      // Signed in, /login redirects to the dashboard: it is fetched signed out.
      const client = path === '/login' ? fixture().client() : await admin();
      const first = await client.get(path);
      const second = await client.get(path);
      expect(first.status).toBe(200);
      // Rendered per request (for the nonce), and not kept by any cache.
      expect(first.headers.get('cache-control')).toMatch(/\bno-store\b/);
      const csp = directives(first.headers.get('content-security-policy'));
      const nonce = nonceOf(csp);
      expect(nonce).toMatch(/^[A-Za-z0-9+/=_-]{16,}$/);
      expect(nonceOf(directives(second.headers.get('content-security-policy')))).not.toBe(nonce);
      expect(csp.get('script-src')).toEqual(expect.arrayContaining(["'strict-dynamic'", `'nonce-${nonce}'`]));
      expect(csp.get('script-src')).not.toContain("'unsafe-inline'");
      expect(csp.get('script-src')).not.toContain("'unsafe-eval'");
      expect(csp.get('default-src')).toEqual(["'self'"]);
      expect(csp.get('object-src')).toEqual(["'none'"]);
      expect(csp.get('base-uri')).toEqual(["'none'"]);
      expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
      expect(csp.get('form-action')).toEqual(["'self'"]);
      expect(csp.get('img-src')).toEqual(["'self'", 'data:']);
      expect(csp.get('style-src')).toEqual(["'self'", `'nonce-${nonce}'`]);
      expect(csp.get('style-src-attr')).toEqual(["'unsafe-inline'"]);
      // No Sentry DSN on this server: the page talks to its own origin only.
      expect(csp.get('connect-src')).toEqual(["'self'"]);

      const scripts = [...first.text.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
      expect(scripts.length).toBeGreaterThan(0);
      for (const tag of scripts) expect(tag, tag).toContain(`nonce="${nonce}"`);
    });

    it('a page that is not found gets the policy and the nonce too', async () => {
      const res = await fixture().client().get('/no-such-page');
      expect(res.status).toBe(404);
      const nonce = nonceOf(directives(res.headers.get('content-security-policy')));
      expect(nonce).toBeTruthy();
      for (const [tag] of res.text.matchAll(/<script\b[^>]*>/g)) expect(tag, tag).toContain(`nonce="${nonce}"`);
    });

    it('API answers carry a policy that allows nothing (JSON is never a document)', async () => {
      const res = await fixture().client().get('/api/health');
      const csp = directives(res.headers.get('content-security-policy'));
      expect(csp.get('default-src')).toEqual(["'none'"]);
      expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
    });
  });

  describe('Cache-Control', () => {
    const noStore = (res: ApiResponse) => expect(res.headers.get('cache-control'), `${res.status} ${res.text}`).toMatch(/\bno-store\b/);

    it('no-store on the answers that set or clear the session cookie', async () => {
      const { client } = await fixture().signUp(); // register
      const login = await fixture().client().login('bob@drop.test', DEMO_PASSWORD);
      expect(login.headers.getSetCookie().some((c) => c.startsWith('drop_session='))).toBe(true);
      noStore(login);
      const register = await fixture()
        .client()
        .post('/api/auth/register', { email: `r-${Date.now()}@example.test`, password: 'long enough password', name: 'R' });
      expect(register.status).toBe(201);
      noStore(register);
      const logout = await client.post('/api/auth/logout');
      expect(logout.status).toBe(204);
      noStore(logout);
    });

    it.each(['/api/account', '/api/sessions', '/api/transfers', '/api/admin/audit', '/api/admin/audit/verify'])(
      'no-store on authenticated JSON: GET %s',
      async (path) => {
        const res = await (await admin()).get(path);
        expect(res.status).toBe(200);
        noStore(res);
      },
    );

    it('no-store on an error answer too (a 401 must not be cached in place of the data)', async () => {
      noStore(await fixture().client().get('/api/account'));
    });

    it('the public client config keeps its own caching', async () => {
      expect((await fixture().client().get('/api/client-config')).headers.get('cache-control')).toBe('public, max-age=300');
    });
  });

  it('no HSTS and no upgrade-insecure-requests while cookies are not secure (plain-http demo)', async () => {
    const login = await fixture().client().get('/login');
    expect(login.headers.get('strict-transport-security')).toBeNull();
    expect(directives(login.headers.get('content-security-policy')).has('upgrade-insecure-requests')).toBe(false);
    expect((await fixture().client().get('/api/health')).headers.get('strict-transport-security')).toBeNull();
  });
});

describe('security headers with secure cookies and a browser Sentry DSN (SQLite)', () => {
  const SENTRY_HOST = '127.0.0.1:9'; // never contacted: only the policy is checked here
  const fixture = useStack({
    env: { COOKIE_SECURE: 'true', NEXT_PUBLIC_SENTRY_DSN: `http://0123456789abcdef@${SENTRY_HOST}/42` },
  });

  it.each(['/login', '/api/health', '/api/account'])('HSTS on %s', async (path) => {
    const res = await fixture().client().get(path);
    expect(res.headers.get('strict-transport-security')).toBe(STRICT_TRANSPORT_SECURITY);
  });

  it('HSTS asks for at least a year, subdomains included', () => {
    expect(STRICT_TRANSPORT_SECURITY).toMatch(/^max-age=(\d+); includeSubDomains$/);
    expect(Number(/max-age=(\d+)/.exec(STRICT_TRANSPORT_SECURITY)![1])).toBeGreaterThanOrEqual(365 * 24 * 3600);
  });

  it.each([
    ['/login', 200],
    ['/no-such-page', 404],
  ])('%s: the page policy upgrades insecure requests (served over https)', async (path, status) => {
    const res = await fixture().client().get(path);
    expect(res.status).toBe(status);
    const csp = directives(res.headers.get('content-security-policy'));
    expect(csp.get('upgrade-insecure-requests')).toEqual([]);
  });

  it('the API policy stays default-src none (nothing there to upgrade)', async () => {
    const csp = directives((await fixture().client().get('/api/health')).headers.get('content-security-policy'));
    expect(csp.get('default-src')).toEqual(["'none'"]);
    expect(csp.has('upgrade-insecure-requests')).toBe(false);
  });

  it("connect-src allows the DSN's origin, read at run time", async () => {
    const csp = directives((await fixture().client().get('/login')).headers.get('content-security-policy'));
    expect(csp.get('connect-src')).toEqual(["'self'", `http://${SENTRY_HOST}`]);
  });
});
