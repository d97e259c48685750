import { NextRequest } from 'next/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_AUTH_SECRET } from '../../../test/helpers/app-server';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../../../test/helpers/databases';
import { actorFor, makeUser } from '../../../test/helpers/domain-fixture';
import { issueCsrfToken } from '../auth/csrf';
import { signSessionToken } from '../auth/jwt';
import { closeDatabase, getDatabase } from '../db';
import { json } from './respond';
import { route, toErrorResponse } from './route';
import { AuditKeyMismatchError } from '@audit';

process.env.AUTH_SECRET ??= TEST_AUTH_SECRET;

/** An admin-only handler, as a future admin route would declare it. */
const adminOnly = route({ access: 'admin' }, async ({ actor }) => json({ seenBy: actor.userId }));
const failing = route({ access: 'public' }, async () => {
  throw new Error('secret detail: connection to 10.1.2.3 refused');
});
const noParams = { params: Promise.resolve({}) };

function request(method: string, headers: Record<string, string> = {}) {
  return new NextRequest('http://localhost/api/admin/example', { method, headers });
}

describe.each(DIALECTS)('route() on %s', (dialect) => {
  let database: TestDatabase;
  const tokens: Record<'admin' | 'user', string> = { admin: '', user: '' };
  const ids: Record<'admin' | 'user', string> = { admin: '', user: '' };

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    process.env.DATABASE_URL = database.url; // what getDatabase(), and so route(), opens
    // The app reads its settings once per process; this file points it at a second database.
    delete (globalThis as Record<symbol, unknown>)[Symbol.for('drop.serverConfig')];
    const handle = await getDatabase();
    for (const role of ['admin', 'user'] as const) {
      const actor = await actorFor(handle, await makeUser(handle, { role }));
      ids[role] = actor.userId;
      tokens[role] = await signSessionToken({ userId: actor.userId, sessionId: actor.sessionId }, Date.now() + 3_600_000);
    }
  });

  afterAll(async () => {
    await closeDatabase();
    delete process.env.DATABASE_URL;
    await database?.drop();
  });

  it('answers 401 unauthenticated without a session', async () => {
    const res = await adminOnly(request('GET'), noParams);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: { code: 'unauthenticated', message: expect.any(String) } });
  });

  it('answers 403 forbidden to a signed-in user without the admin role', async () => {
    const res = await adminOnly(request('GET', { cookie: `drop_session=${tokens.user}` }), noParams);
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: { code: 'forbidden', message: expect.any(String) } });
  });

  it('runs the handler for an admin', async () => {
    const res = await adminOnly(request('GET', { cookie: `drop_session=${tokens.admin}` }), noParams);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ seenBy: ids.admin });
  });

  it('checks CSRF before anything else on a state-changing request, also for an admin', async () => {
    const session = `drop_session=${tokens.admin}`;
    const withoutToken = await adminOnly(request('POST', { cookie: session }), noParams);
    expect(withoutToken.status).toBe(403);
    expect((await withoutToken.json()).error.code).toBe('csrf_failed');

    const csrf = issueCsrfToken();
    const withToken = await adminOnly(request('POST', { cookie: `${session}; drop_csrf=${csrf}`, 'x-csrf-token': csrf }), noParams);
    expect(withToken.status).toBe(200);
  });

  it('turns an unexpected error into a 500 that reveals nothing', async () => {
    const res = await failing(request('GET'), noParams);
    expect(res.status).toBe(500);
    const text = await res.text();
    // No SDK in this process: the request id handed out is a random one, the same as the x-request-id header.
    expect(JSON.parse(text)).toEqual({
      error: { code: 'internal', message: 'Something went wrong on our side', traceId: res.headers.get('x-request-id') },
    });
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f]{32}$/);
    expect(text).not.toContain('10.1.2.3');
  });
});

describe('toErrorResponse() for server faults a client may be told about', () => {
  it('answers a master key that does not open a user’s audit key with a 503 JSON error that names no user', async () => {
    const response = toErrorResponse(new AuditKeyMismatchError('user-1234'));
    expect(response.status).toBe(503);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body).toEqual({ error: { code: 'audit_key_mismatch', message: expect.any(String) } });
    expect(JSON.stringify(body)).not.toContain('user-1234');
  });

  it('answers SQLITE_BUSY with a 503 and Retry-After', async () => {
    const response = toErrorResponse(Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' }));
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('1');
    expect(await response.json()).toEqual({ error: { code: 'database_busy', message: expect.any(String) } });
  });
});
