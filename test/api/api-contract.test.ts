import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useStack } from '../helpers/stack';

const API_DIR = path.resolve(import.meta.dirname, '../../src/app/api');
const WRITABLE = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
const REQUEST_ID = /^[0-9a-f]{32}$/;

/** Every route file under src/app/api, with a concrete path and the methods it implements. */
function apiRoutes(): Array<{ path: string; methods: string[] }> {
  const files = fs.readdirSync(API_DIR, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('route.ts'));
  return files
    .filter((file) => !file.includes('[...'))
    .map((file) => {
      const source = fs.readFileSync(path.join(API_DIR, file), 'utf8');
      const routePath = `/api/${path.dirname(file)}`.replace(/\[(\w+)\]/g, 'some-$1');
      const methods = WRITABLE.filter((m) => new RegExp(`^export (const|async function|function) ${m}\\b`, 'm').test(source));
      return { path: routePath, methods };
    });
}

describe('the API contract: every answer is JSON with x-request-id', () => {
  const fixture = useStack();
  const routes = apiRoutes();

  it('finds the route files', () => {
    expect(routes.length).toBeGreaterThan(15);
    expect(routes).toContainEqual({ path: '/api/transfers', methods: ['GET', 'POST'] });
  });

  it.each(routes)('$path answers other methods 405 with Allow, OPTIONS 204 with Allow', async ({ path: routePath, methods }) => {
    const client = fixture().client();
    const allow = [...methods, ...(methods.includes('GET') ? ['HEAD'] : []), 'OPTIONS'].sort().join(', ');
    const others = [...WRITABLE.filter((m) => !methods.includes(m)), ...(methods.includes('GET') ? [] : ['HEAD'])];
    for (const method of others) {
      const res = await client.request(method, routePath, { csrf: false });
      expect(res.status, `${method} ${routePath}`).toBe(405);
      expect(res.headers.get('allow'), `${method} ${routePath}`).toBe(allow);
      expect(res.headers.get('x-request-id')).toMatch(REQUEST_ID);
      if (method !== 'HEAD') {
        expect(res.body).toEqual({ error: { code: 'method_not_allowed', message: `${method} is not supported here; use ${allow}` } });
      }
    }
    const options = await client.request('OPTIONS', routePath);
    expect(options.status).toBe(204);
    expect(options.headers.get('allow')).toBe(allow);
    expect(options.headers.get('x-request-id')).toMatch(REQUEST_ID);
  });

  it.each(['/api/nope', '/api/transfers/some-id', '/api/qr/abc/pay/again', '/api/admin'])(
    'an unknown endpoint %s is a JSON 404 for every method',
    async (unknown) => {
      const client = fixture().client();
      for (const method of ['GET', 'POST', 'DELETE']) {
        const res = await client.request(method, unknown, { csrf: false });
        expect(res.status, `${method} ${unknown}`).toBe(404);
        expect(res.headers.get('content-type')).toContain('application/json');
        expect(res.body).toEqual({ error: { code: 'not_found', message: `There is no API endpoint at ${unknown}` } });
        expect(res.headers.get('x-request-id')).toMatch(REQUEST_ID);
      }
    },
  );

  it.each(['/api/%ZZ', '/api/transfers/%E0%A4%A/confirm', '/api/qr/%/pay'])(
    'a path that is not valid percent-encoding (%s) is a JSON 400 with x-request-id and an access line',
    async (malformed) => {
      const client = fixture().client();
      for (const method of ['GET', 'POST']) {
        const res = await client.request(method, malformed, { csrf: false });
        expect(res.status, `${method} ${malformed}`).toBe(400);
        expect(res.headers.get('content-type')).toContain('application/json');
        expect(res.body).toEqual({
          error: {
            code: 'invalid_path',
            message: 'The address is not valid: a % must be followed by two hexadecimal digits (%2F, %20…). Encode the path and try again.',
          },
        });
        expect(res.headers.get('cache-control')).toBe('no-store');
        const requestId = res.headers.get('x-request-id');
        expect(requestId).toMatch(REQUEST_ID);
        await expect
          .poll(() =>
            fixture()
              .app.logRecords()
              .filter((r) => r.trace_id === requestId && r['event.name'] === 'http.access'),
          )
          .toEqual([expect.objectContaining({ 'url.path': malformed, 'http.route': '/api/[...path]', 'http.response.status_code': 400 })]);
      }
      // Valid percent-encoding goes on to Next's routing as before (here the catch-all's JSON 404).
      const encoded = await client.get('/api/n%6Fpe');
      expect(encoded.status).toBe(404);
      expect(encoded.body.error.code).toBe('not_found');
    },
  );

  it('unknown endpoints share one http.route in the access log, whatever the path', async () => {
    const res = await fixture().client().get('/api/nope/42');
    const requestId = res.headers.get('x-request-id');
    const line = await fixture().app.waitForLog(
      new RegExp(`"trace_id":"${requestId}".*"event.name":"http.access"|"event.name":"http.access".*"trace_id":"${requestId}"`),
    );
    expect(JSON.parse(line.line)).toMatchObject({
      'http.route': '/api/[...path]',
      'url.path': '/api/nope/42',
      'http.response.status_code': 404,
    });
  });

  it.each(['/api/health', '/api/client-config', '/api/auth/csrf'])('%s carries x-request-id and has an access line', async (endpoint) => {
    const res = await fixture().client().get(endpoint);
    expect(res.status).toBe(200);
    const requestId = res.headers.get('x-request-id');
    expect(requestId).toMatch(REQUEST_ID);
    await expect
      .poll(() =>
        fixture()
          .app.logRecords()
          .filter((r) => r.trace_id === requestId && r['event.name'] === 'http.access'),
      )
      .toHaveLength(1);
  });
});

describe('x-request-id without OpenTelemetry (OTEL_SDK_DISABLED=true)', () => {
  const fixture = useStack({ env: { OTEL_SDK_DISABLED: 'true' } });

  it.each(['/api/health', '/api/nope', '/login'])('%s still carries a request id, and its access line names it', async (endpoint) => {
    const res = await fixture().client().get(endpoint);
    const requestId = res.headers.get('x-request-id');
    expect(requestId).toMatch(REQUEST_ID);
    await expect
      .poll(() =>
        fixture()
          .app.logRecords()
          .filter((r) => r.trace_id === requestId && r['event.name'] === 'http.access' && r['url.path'] === endpoint),
      )
      .toHaveLength(1);
  });

  it('each answer gets its own id', async () => {
    const client = fixture().client();
    const ids = new Set<string | null>();
    for (let i = 0; i < 3; i++) ids.add((await client.get('/api/health')).headers.get('x-request-id'));
    expect(ids.size).toBe(3);
  });
});
