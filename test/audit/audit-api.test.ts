import crypto from 'node:crypto';
import { SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { revealAuditRows, type AuditRow } from '@audit';
import type { DatabaseHandle } from '../../src/server/db/connect';
import { DEMO_PASSWORD, TEST_AUDIT_KEYRING, TEST_AUTH_SECRET, type AppServer } from '../helpers/app-server';
import { asDatabaseOwner, failAuditInserts } from '../helpers/audit-owner';
import { DIALECTS } from '../helpers/databases';
import { HttpClient as TestClient, newTraceparent, type ApiResponse as BaseResponse } from '../helpers/http-client';
import type { OtlpReceiver } from '../helpers/otlp-receiver';
import { useStack } from '../helpers/stack';

/** Bodies are checked with expect() at run time. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ApiResponse = BaseResponse<any>;
const textOf = (res: ApiResponse): string => res.text;

const USER_AGENT = 'drop-audit-test/1.0';

const NEW_PASSWORD = 'a-brand-new-password-42';
const KYC = { fullName: 'Alice Example', dateOfBirth: '1990-04-01', documentType: 'passport', documentNumber: 'X98765432' };

/** The shared test client with a user agent of its own (recorded in every entry), taking headers per call. */
class HttpClient {
  private readonly client: TestClient;

  constructor(
    baseUrl: string,
    private readonly userAgent = USER_AGENT,
  ) {
    this.client = new TestClient(baseUrl);
  }

  private send(method: string, path: string, json?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse> {
    return this.client.request(method, path, { json, headers: { 'user-agent': this.userAgent, ...headers } });
  }

  get = (path: string, headers?: Record<string, string>) => this.send('GET', path, undefined, headers);
  post = (path: string, json?: unknown, headers?: Record<string, string>) => this.send('POST', path, json, headers);
  delete = (path: string, headers?: Record<string, string>) => this.send('DELETE', path, undefined, headers);
  login = (email: string, password: string, headers?: Record<string, string>) => this.post('/api/auth/login', { email, password }, headers);
  cookie = (name: string) => this.client.cookie(name);
  setCookie = (name: string, value: string) => this.client.setCookie(name, value);
  cookieHeader = () => this.client.cookieHeader();
}

describe.each(DIALECTS)('audit trail over HTTP on %s', (dialect) => {
  const stack = useStack({ dialect, otlp: { traces: true }, env: { OTEL_BSP_SCHEDULE_DELAY: '100' } });
  let handle: DatabaseHandle;
  let server: AppServer;
  let receiver: OtlpReceiver;
  let admin: HttpClient;
  /** Every secret the tests send or receive; none may appear in any audit row. */
  const secrets = new Set<string>([DEMO_PASSWORD, NEW_PASSWORD, KYC.documentNumber, KYC.fullName, KYC.dateOfBirth]);

  beforeAll(async () => {
    ({ app: server, otlp: receiver, db: handle } = stack());
    admin = new HttpClient(server.url);
    expect((await admin.login('admin@drop.test', DEMO_PASSWORD)).status).toBe(200);
  });

  const newestId = async () =>
    (await handle.db.selectFrom('audit_log').select('id').orderBy('id', 'desc').limit(1).executeTakeFirst())?.id ?? 0;
  const storedRowsAfter = (id: number) => handle.db.selectFrom('audit_log').selectAll().where('id', '>', id).orderBy('id').execute();
  /** As readers see them: personal data decrypted with the test servers' keyring. */
  const rowsAfter = async (id: number) => revealAuditRows(handle.db, TEST_AUDIT_KEYRING, await storedRowsAfter(id));
  const userId = async (email: string) =>
    (await handle.db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirstOrThrow()).id;
  const remember = (client: HttpClient) => {
    for (const name of ['drop_session', 'drop_csrf']) {
      const value = client.cookie(name);
      if (value) secrets.add(value);
    }
  };

  /** The audit.* span events of each trace, once the request's own span (the one with http.route) is exported. */
  async function auditEventsOf(traceIds: string[]) {
    const routeSpanOf = (traceId: string) => receiver.spans.some((s) => s.traceId === traceId && s.attributes['http.route']);
    await receiver.waitFor(() => traceIds.every(routeSpanOf), 20_000, `the spans of ${traceIds.length} requests`);
    return traceIds.map((traceId) =>
      receiver.spans
        .filter((s) => s.traceId === traceId)
        .flatMap((s) => s.events.filter((e) => e.name.startsWith('audit.')))
        .sort((a, b) => Number(a.attributes['audit.id']) - Number(b.attributes['audit.id']))
        .map((e) => ({ name: e.name, attributes: e.attributes })),
    );
  }

  const expectedEvents = (rows: AuditRow[]) =>
    rows.map((row) => ({
      name: `audit.${row.action}`,
      attributes: {
        // An int attribute; the OTLP decoder gives 64-bit integers as decimal strings.
        'audit.id': String(row.id),
        'audit.action': row.action,
        'audit.resource': row.resource,
        'audit.outcome': row.outcome,
        ...(row.user_id ? { 'user.id': row.user_id } : {}),
      },
    }));

  /** Requests whose span events are checked together (spans are exported in batches, seconds apart). */
  let tracedCalls: { traceId: string; rows: AuditRow[] }[] = [];

  /** Every traced request of the test has exactly the audit.<action> events of its rows, and no others. */
  async function expectSpanEventsOfTracedCalls() {
    const events = await auditEventsOf(tracedCalls.map((c) => c.traceId));
    expect(events).toEqual(tracedCalls.map((c) => expectedEvents(c.rows)));
    tracedCalls = [];
  }

  /**
   * Runs one API call under a fresh traceparent and returns the audit rows it wrote, after checking that each
   * row's request_id is the call's trace id (its span events are checked by expectSpanEventsOfTracedCalls).
   */
  async function traced(call: (headers: Record<string, string>) => Promise<ApiResponse>, expectStatus: number) {
    const from = await newestId();
    const { traceparent, traceId } = newTraceparent();
    const res = await call({ traceparent });
    expect(res.status, textOf(res)).toBe(expectStatus);
    expect(res.headers.get('x-request-id')).toBe(traceId);
    const rows = await rowsAfter(from);
    for (const row of rows) expect(row).toMatchObject({ request_id: traceId, span_id: expect.stringMatching(/^[0-9a-f]{16}$/) });
    tracedCalls.push({ traceId, rows });
    return { res, rows };
  }

  const summary = (rows: AuditRow[]) => rows.map((r) => [r.action, r.outcome, r.user_id, r.resource]);
  const common = { ip_address: '127.0.0.1', user_agent: USER_AGENT };

  it('records each of the 11 actions, driven through the API, as exactly one entry with the request’s context', async () => {
    const alice = new HttpClient(server.url);
    const bob = new HttpClient(server.url);
    const dave = new HttpClient(server.url);
    const aliceId = await userId('alice@drop.test');
    const bobId = await userId('bob@drop.test');

    // register → register + session_created
    const registered = await traced(
      (h) => dave.post('/api/auth/register', { email: 'dave@drop.test', password: DEMO_PASSWORD, name: 'Dave' }, h),
      201,
    );
    const daveId = registered.res.body.user.id as string;
    remember(dave);
    expect(summary(registered.rows)).toEqual([
      ['register', 'success', daveId, `user:${daveId}`],
      ['session_created', 'success', daveId, expect.stringMatching(/^session:/)],
    ]);
    for (const row of registered.rows) expect(row).toMatchObject(common);

    // login_failure
    const failed = await traced((h) => bob.login('bob@drop.test', 'not-the-password', h), 401);
    expect(summary(failed.rows)).toEqual([['login_failure', 'failure', bobId, `user:${bobId}`]]);
    expect(JSON.parse(failed.rows[0]!.details)).toEqual({ reason: 'wrong_password' });

    // login_success → login_success + session_created
    const loggedIn = await traced((h) => alice.login('alice@drop.test', DEMO_PASSWORD, h), 200);
    remember(alice);
    expect(summary(loggedIn.rows)).toEqual([
      ['login_success', 'success', aliceId, `user:${aliceId}`],
      ['session_created', 'success', aliceId, expect.stringMatching(/^session:/)],
    ]);
    expect((await bob.login('bob@drop.test', DEMO_PASSWORD)).status).toBe(200);
    remember(bob);

    // transfer_initiated, transfer_completed
    const initiated = await traced(
      (h) =>
        alice.post('/api/transfers', { toEmail: 'bob@drop.test', amountCents: 1_500 }, { ...h, 'idempotency-key': crypto.randomUUID() }),
      201,
    );
    const transferId = initiated.res.body.transfer.id as string;
    expect(summary(initiated.rows)).toEqual([['transfer_initiated', 'success', aliceId, `transfer:${transferId}`]]);
    expect(JSON.parse(initiated.rows[0]!.details)).toEqual({ amountCents: 1_500, toUserId: bobId });
    const completed = await traced((h) => alice.post(`/api/transfers/${transferId}/confirm`, undefined, h), 200);
    expect(summary(completed.rows)).toEqual([['transfer_completed', 'success', aliceId, `transfer:${transferId}`]]);

    // qr_payment (creating the request is not an audited action)
    const qr = await traced((h) => bob.post('/api/qr', { amountCents: 900, description: 'coffee' }, h), 201);
    expect(qr.rows).toEqual([]);
    const paid = await traced((h) => alice.post(`/api/qr/${qr.res.body.code}/pay`, undefined, h), 200);
    expect(summary(paid.rows)).toEqual([['qr_payment', 'success', aliceId, `transfer:${paid.res.body.payment.transfer.id}`]]);

    // kyc_submitted: only the document type is kept
    const kyc = await traced((h) => alice.post('/api/kyc', KYC, h), 202);
    expect(summary(kyc.rows)).toEqual([['kyc_submitted', 'success', aliceId, expect.stringMatching(/^kyc_submission:/)]]);
    expect(JSON.parse(kyc.rows[0]!.details)).toEqual({ documentType: 'passport' });

    // session_revoked: alice ends her other session
    const aliceOnPhone = new HttpClient(server.url, 'phone');
    expect((await aliceOnPhone.login('alice@drop.test', DEMO_PASSWORD)).status).toBe(200);
    remember(aliceOnPhone);
    const sessions = (await alice.get('/api/sessions')).body.sessions as { id: string; current: boolean; userAgent: string }[];
    const phone = sessions.find((s) => s.userAgent === 'phone')!;
    const revoked = await traced((h) => alice.delete(`/api/sessions/${phone.id}`, h), 204);
    expect(summary(revoked.rows)).toEqual([['session_revoked', 'success', aliceId, `session:${phone.id}`]]);
    expect((await aliceOnPhone.get('/api/account')).status).toBe(401);

    // password_change, revoking dave's other session
    const daveElsewhere = new HttpClient(server.url, 'laptop');
    expect((await daveElsewhere.login('dave@drop.test', DEMO_PASSWORD)).status).toBe(200);
    remember(daveElsewhere);
    const changed = await traced(
      (h) => dave.post('/api/auth/password', { currentPassword: DEMO_PASSWORD, newPassword: NEW_PASSWORD }, h),
      204,
    );
    // Both of dave's sessions end (the one that made the change is rotated: a new one is opened for it).
    expect(summary(changed.rows)).toEqual([
      ['session_revoked', 'success', daveId, expect.stringMatching(/^session:/)],
      ['session_revoked', 'success', daveId, expect.stringMatching(/^session:/)],
      ['session_created', 'success', daveId, expect.stringMatching(/^session:/)],
      ['password_change', 'success', daveId, `user:${daveId}`],
    ]);
    expect(JSON.parse(changed.rows[3]!.details)).toEqual({ revokedSessions: 1 });
    expect(JSON.parse(changed.rows[0]!.details)).toEqual({ reason: 'password_change' });
    expect(JSON.parse(changed.rows[1]!.details)).toEqual({ reason: 'password_change' });

    // logout
    const loggedOut = await traced((h) => alice.post('/api/auth/logout', undefined, h), 204);
    expect(summary(loggedOut.rows)).toEqual([['logout', 'success', aliceId, expect.stringMatching(/^session:/)]]);

    const all = await rowsAfter(0);
    for (const row of all.filter((r) => r.user_agent === common.user_agent)) expect(row.ip_address).toBe('127.0.0.1');
    // Stored, the personal data of entries naming a user is ciphertext (crypto-shredding); the chain covers it.
    const stored = await storedRowsAfter(0);
    for (const row of stored.filter((r) => r.user_id !== null)) {
      expect(row.ip_address).toMatch(/^enc:v1:/);
      expect(row.user_agent).toMatch(/^enc:v1:/);
    }
    const actions = new Set(all.map((r) => r.action));
    expect([...actions].sort()).toEqual([
      'kyc_submitted',
      'login_failure',
      'login_success',
      'logout',
      'password_change',
      'qr_payment',
      'register',
      'session_created',
      'session_revoked',
      'transfer_completed',
      'transfer_initiated',
    ]);
    await expectSpanEventsOfTracedCalls();
  }, 60_000);

  it('records rate-limited logins as login_failure', async () => {
    const client = new HttpClient(server.url);
    const headers = { 'x-forwarded-for': '198.51.100.23' };
    for (let i = 0; i < 5; i++) expect((await client.login('bob@drop.test', 'wrong-password', headers)).status).toBe(401);
    const limited = await traced((h) => client.login('bob@drop.test', DEMO_PASSWORD, { ...h, ...headers }), 429);
    expect(limited.rows.map((r) => [r.action, r.outcome, JSON.parse(r.details).reason])).toEqual([
      ['login_failure', 'failure', 'rate_limited'],
    ]);
    await expectSpanEventsOfTracedCalls();
  });

  it('fault: when the audit insert fails, the action fails as a 500 and nothing of it persists', async () => {
    const bob = new HttpClient(server.url);
    expect((await bob.login('bob@drop.test', DEMO_PASSWORD)).status).toBe(200);
    remember(bob);
    const before = await handle.db.selectFrom('transfers').select('id').execute();
    const fault = await failAuditInserts(handle);
    const { traceparent, traceId } = newTraceparent();
    try {
      const res = await bob.post(
        '/api/transfers',
        { toEmail: 'alice@drop.test', amountCents: 100 },
        { traceparent, 'idempotency-key': crypto.randomUUID() },
      );
      expect(res.status).toBe(500);
      expect(res.headers.get('x-request-id')).toBe(traceId);
      expect(res.body.error.code).toBe('internal');
      expect(textOf(res)).not.toMatch(/injected|audit_log|at /);
    } finally {
      await fault.restore();
    }
    expect(await handle.db.selectFrom('transfers').select('id').execute()).toEqual(before);
    expect(await auditEventsOf([traceId])).toEqual([[]]);
  });

  it('lets only admins read the trail: no session, non-admin, forged, expired and revoked tokens are refused', async () => {
    const paths = ['/api/admin/audit', '/api/admin/audit/verify', '/api/admin/audit?format=ndjson'];
    const aliceId = await userId('alice@drop.test');
    const anonymous = new HttpClient(server.url);
    const alice = new HttpClient(server.url);
    expect((await alice.login('alice@drop.test', DEMO_PASSWORD)).status).toBe(200);
    const adminSessionId = (await admin.get('/api/sessions')).body.sessions.find((s: { current: boolean }) => s.current).id as string;
    const adminId = await userId('admin@drop.test');
    const sign = (secret: string, expiresAt: number, sub = adminId, sid = adminSessionId) =>
      new SignJWT({ sid })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(sub)
        .setIssuer('drop')
        .setAudience('drop-session')
        .setIssuedAt(Math.floor(expiresAt / 1000) - 3600)
        .setExpirationTime(Math.floor(expiresAt / 1000))
        .sign(new TextEncoder().encode(secret));
    const forged = new HttpClient(server.url);
    forged.setCookie('drop_session', await sign('another-secret-of-at-least-thirty-two-chars', Date.now() + 3_600_000));
    const expired = new HttpClient(server.url);
    expired.setCookie('drop_session', await sign(TEST_AUTH_SECRET, Date.now() - 60_000));
    const unsigned = new HttpClient(server.url);
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const claims = Buffer.from(
      JSON.stringify({ sub: adminId, sid: adminSessionId, iss: 'drop', aud: 'drop-session', exp: 9_999_999_999 }),
    ).toString('base64url');
    unsigned.setCookie('drop_session', `${header}.${claims}.`);
    const revoked = new HttpClient(server.url);
    expect((await revoked.login('admin@drop.test', DEMO_PASSWORD)).status).toBe(200);
    const revokedToken = revoked.cookie('drop_session')!;
    expect((await revoked.post('/api/auth/logout')).status).toBe(204);
    revoked.setCookie('drop_session', revokedToken);
    const aliceAsAdmin = new HttpClient(server.url);
    aliceAsAdmin.setCookie('drop_session', await sign(TEST_AUTH_SECRET, Date.now() + 3_600_000, aliceId, adminSessionId));

    for (const path of paths) {
      expect((await anonymous.get(path)).status, path).toBe(401);
      expect((await alice.get(path)).status, path).toBe(403);
      expect((await alice.get(path)).body.error.code, path).toBe('forbidden');
      for (const client of [forged, expired, unsigned, revoked, aliceAsAdmin]) expect((await client.get(path)).status, path).toBe(401);
      expect((await admin.get(path)).status, path).toBe(200);
    }
    const page = await anonymous.get('/admin/audit');
    expect(page.status).toBeGreaterThanOrEqual(300);
    expect(page.status).toBeLessThan(400);
    expect(page.headers.get('location')).toMatch(/\/login\?next=%2Fadmin%2Faudit$/);
    const forbiddenPage = await alice.get('/admin/audit');
    expect(forbiddenPage.status).toBe(403);
    expect(textOf(forbiddenPage)).toContain('Not allowed');
    expect(textOf(forbiddenPage)).not.toContain('audit-table');
    expect((await admin.get('/admin/audit')).status).toBe(200);
  });

  it('answers bad parameters with 400 and the error shape', async () => {
    const bad = [
      'limit=0',
      'limit=201',
      'limit=ten',
      'limit=1.5',
      'cursor=not-a-cursor',
      `cursor=${Buffer.from('["o","x",1]').toString('base64url')}`,
      'action=login',
      'action=login_success&action=bogus',
      'outcome=maybe',
      'request_id=abc',
      'from=yesterday',
      'to=2026-13-01',
      'from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z',
      'outcome=success&outcome=failure',
      'user_id=',
      'sort=asc',
      'format=csv',
      'format=ndjson&limit=10',
    ];
    for (const query of bad) {
      const res = await admin.get(`/api/admin/audit?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.error.code, query).toBe('invalid_request');
    }
  });

  it('pages newest first by cursor and filters by user, actions, outcome, request id and time', async () => {
    const all = (await rowsAfter(0)).sort((a, b) => b.timestamp - a.timestamp || b.id - a.id);
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const res: ApiResponse = await admin.get(`/api/admin/audit?limit=4${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      seen.push(...res.body.entries.map((e: { id: number }) => e.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.map((r) => r.id));

    const first = (await admin.get('/api/admin/audit')).body;
    expect(first.entries.length).toBe(Math.min(50, all.length));
    const entry = first.entries.find((e: { action: string }) => e.action === 'login_failure');
    expect(entry).toMatchObject({ outcome: 'failure', ipAddress: expect.any(String), timestamp: expect.stringMatching(/Z$/) });
    expect(entry.authentic).toBe(true);
    expect(Object.keys(entry).sort()).toEqual([
      'action',
      'authentic',
      'details',
      'hash',
      'id',
      'ipAddress',
      'outcome',
      'prevHash',
      'requestId',
      'resource',
      'spanId',
      'timestamp',
      'userAgent',
      'userId',
    ]);

    const bobId = await userId('bob@drop.test');
    const filtered = (
      await admin.get(`/api/admin/audit?user_id=${bobId}&action=login_failure&action=login_success&outcome=failure&limit=200`)
    ).body;
    const expected = all.filter(
      (r) => r.user_id === bobId && ['login_failure', 'login_success'].includes(r.action) && r.outcome === 'failure',
    );
    expect(expected.length).toBeGreaterThan(1);
    expect(filtered.entries.map((e: { id: number }) => e.id)).toEqual(expected.map((r) => r.id));

    const middle = all[Math.floor(all.length / 2)]!.timestamp;
    const from = new Date(middle).toISOString();
    const inRange = (await admin.get(`/api/admin/audit?from=${from}&to=${new Date(Date.now() + 60_000).toISOString()}&limit=200`)).body;
    expect(inRange.entries.length).toBe(all.filter((r) => r.timestamp >= middle).length);

    const withRequest = all.find((r) => r.request_id);
    if (withRequest) {
      const byRequest = (await admin.get(`/api/admin/audit?request_id=${withRequest.request_id}`)).body;
      expect(byRequest.entries.map((e: { id: number }) => e.id)).toEqual(
        all.filter((r) => r.request_id === withRequest.request_id).map((r) => r.id),
      );
    }
  });

  it('keeps one chain and stable pages while requests write concurrently', async () => {
    const before = (await rowsAfter(0)).sort((a, b) => b.timestamp - a.timestamp || b.id - a.id).map((r) => r.id);
    const writers = (async () => {
      const clients = Array.from({ length: 4 }, () => new HttpClient(server.url));
      for (let round = 0; round < 5; round++) {
        await Promise.all(clients.map((c, i) => c.login(`nobody-${round}-${i}@drop.test`, 'whatever-password')));
      }
    })();
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const res: ApiResponse = await admin.get(`/api/admin/audit?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...res.body.entries.map((e: { id: number }) => e.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    await writers;
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.filter((id) => before.includes(id))).toEqual(before);

    const after = await rowsAfter(0);
    expect(after.filter((r) => r.resource === 'user:unknown').length).toBeGreaterThanOrEqual(20);
    expect(after.map((r) => r.id)).toEqual(after.map((_, i) => i + 1));
    const status = (await admin.get('/api/admin/audit/verify')).body;
    expect(status).toMatchObject({
      ok: true,
      firstBroken: null,
      entries: after.length,
      lastId: after.length,
      lastHash: after.at(-1)!.hash,
    });
  });

  it('exports the filtered entries as ndjson, newest first', async () => {
    const res = await fetch(`${server.url}/api/admin/audit?format=ndjson&outcome=failure`, { headers: { cookie: admin.cookieHeader() } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="drop-audit-.*\.ndjson"$/);
    const lines = (await res.text())
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    const expected = (await rowsAfter(0)).filter((r) => r.outcome === 'failure').sort((a, b) => b.timestamp - a.timestamp || b.id - a.id);
    expect(lines.map((l) => l.id)).toEqual(expected.map((r) => r.id));
    expect(lines.every((l) => l.outcome === 'failure' && l.hash.length === 64 && l.authentic === true)).toBe(true);
  });

  it('keeps secrets out of every audit row', async () => {
    const text = JSON.stringify(await rowsAfter(0));
    expect(secrets.size).toBeGreaterThan(8);
    for (const secret of secrets) expect(text.includes(secret), `a secret of ${secret.length} characters is in the trail`).toBe(false);
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]+\.eyJ/);
  });

  it('reports a tampered chain through GET /api/admin/audit/verify', async () => {
    await asDatabaseOwner(handle, async (db) => {
      await db.updateTable('audit_log').set({ outcome: 'success' }).where('action', '=', 'login_failure').execute();
    });
    const status = (await admin.get('/api/admin/audit/verify')).body;
    const firstFailure = (await rowsAfter(0)).find((r) => r.action === 'login_failure')!;
    expect(status).toMatchObject({ ok: false, firstBroken: { id: firstFailure.id, reason: 'hash_mismatch' } });
  });
});
