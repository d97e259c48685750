import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, startApp, type AppServer } from '../helpers/app-server';
import { createTestDatabase, type TestDatabase } from '../helpers/databases';
import { HttpClient } from '../helpers/http-client';
import { useStack } from '../helpers/stack';

/** Everything the server prints after boot is one JSON line per record, each on the trace of its request. */
describe('server logs beyond the API', () => {
  const stack = useStack();
  let app: AppServer;
  let admin: HttpClient;

  beforeAll(async () => {
    ({ app } = stack());
    admin = new HttpClient(app.url);
    expect((await admin.login('admin@drop.test', DEMO_PASSWORD)).status).toBe(200);
  });

  const recordsOf = (traceId: string | null) => app.logRecords().filter((r) => traceId && r.trace_id === traceId);

  it('a page request gets x-request-id and one access line on that trace', async () => {
    const res = await new HttpClient(app.url).get('/login');
    expect(res.status).toBe(200);
    const requestId = res.headers.get('x-request-id');
    expect(requestId).toMatch(/^[0-9a-f]{32}$/);
    await expect.poll(() => recordsOf(requestId).filter((r) => r['event.name'] === 'http.access')).toHaveLength(1);
    expect(recordsOf(requestId).find((r) => r['event.name'] === 'http.access')).toMatchObject({
      level: 'info',
      'http.request.method': 'GET',
      'url.path': '/login',
      'http.response.status_code': 200,
      duration_ms: expect.any(Number),
      msg: 'GET /login 200',
    });
  });

  it('static assets get no access line', async () => {
    const page = await new HttpClient(app.url).get('/login');
    const asset = /\/_next\/static\/[^"]+\.js/.exec(page.text)?.[0];
    expect(asset).toBeDefined();
    expect((await fetch(`${app.url}${asset}`)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(app.logRecords().filter((r) => r['url.path'] === asset)).toEqual([]);
  });

  it('a render error is a JSON error line with the page trace id, and an access line with 500', async () => {
    const res = await admin.get('/admin/debug/server-error');
    expect(res.status).toBe(500);
    const requestId = res.headers.get('x-request-id');
    expect(requestId).toMatch(/^[0-9a-f]{32}$/);
    await expect.poll(() => recordsOf(requestId).filter((r) => r.level === 'error' && r['event.name'] === 'console.error')).toHaveLength(1);
    const [line] = recordsOf(requestId).filter((r) => r['event.name'] === 'console.error');
    expect(line).toMatchObject({ err: { type: 'Error', message: expect.stringContaining('Deliberate server render error') } });
    await expect
      .poll(() => recordsOf(requestId).filter((r) => r['event.name'] === 'http.access'))
      .toEqual([expect.objectContaining({ level: 'error', 'http.response.status_code': 500, 'url.path': '/admin/debug/server-error' })]);
  });

  it.each([
    ['unhandled-rejection', 'process.unhandled_rejection'],
    ['uncaught-exception', 'process.uncaught_exception'],
  ])('a %s is a JSON error line (%s) with the error, on the trace of the request that raised it', async (kind, eventName) => {
    const res = await admin.post('/api/admin/debug/error', { kind });
    expect(res.status).toBe(202);
    const requestId = res.headers.get('x-request-id');
    await expect
      .poll(() => recordsOf(requestId).filter((r) => r['event.name'] === eventName))
      .toEqual([expect.objectContaining({ level: 'error', err: expect.objectContaining({ type: 'DeliberateError' }) })]);
  });

  it('after boot, stdout holds only JSON lines and stderr nothing', () => {
    const started = app.logs.findIndex((l) => l.line.includes('"event.name":"app.started"'));
    expect(started).toBeGreaterThanOrEqual(0);
    const after = app.logs.slice(started);
    expect(after.filter((l) => l.stream === 'stderr')).toEqual([]);
    expect(after.filter((l) => !l.line.startsWith('{'))).toEqual([]);
  });
});

describe('LOG_FORMAT', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
  });
  afterAll(async () => db?.drop());

  // Each starts its own `next start`: more than the default 30 s on a busy machine.
  it('pretty prints human-readable lines, also under next start (the demo)', { timeout: 90_000 }, async () => {
    const app = await startApp({ databaseUrl: db.url, env: { LOG_FORMAT: 'pretty' } });
    try {
      const line = await app.waitForLog(/app\.started: version/);
      expect(line.line.startsWith('{')).toBe(false);
      expect(line.line).toMatch(/INFO/);
    } finally {
      await app.stop();
    }
  });

  it('an unknown value warns once and keeps JSON', { timeout: 90_000 }, async () => {
    const app = await startApp({ databaseUrl: db.url, env: { LOG_FORMAT: 'xml' } });
    try {
      await app.waitForLog(/app\.started/);
      expect(app.logRecords().filter((r) => r['event.name'] === 'otel.config' && String(r.msg).includes('LOG_FORMAT'))).toEqual([
        expect.objectContaining({ level: 'warn', msg: 'LOG_FORMAT="xml" is not json or pretty; using json' }),
      ]);
    } finally {
      await app.stop();
    }
  });
});
