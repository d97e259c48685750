import { describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../helpers/app-server';
import { HttpClient, newTraceparent } from '../helpers/http-client';
import { useStack, type Stack } from '../helpers/stack';

const TRUST_SECRET = 'proxy-shared-secret-0123456789';
const SERVER_SPAN = 2;

async function auditRowsOf(stack: Stack, requestId: string) {
  return stack.db.db.selectFrom('audit_log').select(['action', 'user_id', 'request_id']).where('request_id', '=', requestId).execute();
}

/** Logs `email` in with these headers; the response's x-request-id. */
async function login(stack: Stack, email: string, headers: Record<string, string>): Promise<string> {
  const res = await new HttpClient(stack.app.url).login(email, DEMO_PASSWORD, { headers });
  expect(res.status).toBe(200);
  const requestId = res.headers.get('x-request-id');
  expect(requestId).toMatch(/^[0-9a-f]{32}$/);
  return requestId!;
}

describe('request ids the server owns: a traceparent is honoured only from a trusted caller', () => {
  // Trusts nobody by address (the test runner is 127.0.0.1, which the other tests' servers trust), only the secret.
  const stack = useStack({
    otlp: true,
    env: { TRACE_CONTEXT_TRUSTED_ADDRESSES: undefined, TRACE_CONTEXT_TRUST_SECRET: TRUST_SECRET },
  });

  it("two users' logins sending the same hostile traceparent get ids of their own; the caller's trace is a link", async () => {
    const s = stack();
    const { traceparent, traceId: hostile } = newTraceparent();
    const alice = await login(s, 'alice@drop.test', { traceparent });
    const bob = await login(s, 'bob@drop.test', { traceparent });
    expect(alice).not.toBe(hostile);
    expect(bob).not.toBe(hostile);
    expect(alice).not.toBe(bob);

    // The audit rows carry the server's ids: an admin's filter by request id finds one user's login each.
    expect(await auditRowsOf(s, hostile)).toEqual([]);
    const aliceRows = await auditRowsOf(s, alice);
    const bobRows = await auditRowsOf(s, bob);
    expect(aliceRows.map((r) => r.action)).toContain('login_success');
    expect(bobRows.map((r) => r.action)).toContain('login_success');
    expect(new Set(aliceRows.map((r) => r.user_id)).size).toBe(1);
    expect(new Set(bobRows.map((r) => r.user_id)).size).toBe(1);
    expect(aliceRows[0]!.user_id).not.toBe(bobRows[0]!.user_id);

    // Each request's server span is a root of its own trace, linked to the caller's span.
    const callerSpanId = traceparent.split('-')[2];
    const roots = await s.otlp.waitFor(
      () => {
        const found = [alice, bob].map((id) => s.otlp.spans.find((span) => span.traceId === id && span.kind === SERVER_SPAN));
        return found.every(Boolean) ? found : undefined;
      },
      15_000,
      'both server spans',
    );
    for (const root of roots) {
      expect(root!.parentSpanId).toBe('');
      expect(root!.links).toEqual([{ traceId: hostile, spanId: callerSpanId, attributes: { 'drop.trace.parent.untrusted': true } }]);
    }
    expect(s.otlp.spans.filter((span) => span.traceId === hostile)).toEqual([]);
    // The log lines of each request carry its own id.
    const lines = s.app.logRecords();
    expect(lines.filter((l) => l.trace_id === hostile)).toEqual([]);
    expect(lines.some((l) => l.trace_id === alice && l['event.name'] === 'http.access')).toBe(true);
  });

  it("a trusted caller's traceparent (the shared secret in x-trace-context-trust) is honoured", async () => {
    const s = stack();
    const { traceparent, traceId } = newTraceparent();
    const requestId = await login(s, 'bob@drop.test', { traceparent, 'x-trace-context-trust': TRUST_SECRET });
    expect(requestId).toBe(traceId);
    expect((await auditRowsOf(s, traceId)).map((r) => r.action)).toContain('login_success');
    const callerSpanId = traceparent.split('-')[2];
    const root = await s.otlp.waitFor(
      () => s.otlp.spans.find((span) => span.traceId === traceId && span.kind === SERVER_SPAN),
      15_000,
      'the server span',
    );
    expect(root.parentSpanId).toBe(callerSpanId);
    expect(root.links).toEqual([]);
  });

  it('a wrong secret is a stranger', async () => {
    const s = stack();
    const { traceparent, traceId } = newTraceparent();
    const requestId = await login(s, 'alice@drop.test', { traceparent, 'x-trace-context-trust': `${TRUST_SECRET.slice(0, -1)}x` });
    expect(requestId).not.toBe(traceId);
    expect(await auditRowsOf(s, traceId)).toEqual([]);
  });
});

describe('one request id in every sink with OTEL_SDK_DISABLED=true', () => {
  const stack = useStack({ env: { OTEL_SDK_DISABLED: 'true' } });

  it('the audit row, every log line of the request and the response share the server-made id', async () => {
    const s = stack();
    const { traceparent, traceId } = newTraceparent();
    const requestId = await login(s, 'alice@drop.test', { traceparent });
    expect(requestId).not.toBe(traceId);
    const rows = await auditRowsOf(s, requestId);
    expect(rows.map((r) => r.action).sort()).toEqual(['login_success', 'session_created'].sort());
    const access = s.app.logRecords().filter((l) => l['event.name'] === 'http.access' && l['url.path'] === '/api/auth/login');
    expect(access.filter((l) => l.trace_id === requestId)).toHaveLength(1);
    // Without the SDK no line of a request lacks its id: every access line of the API carries one.
    for (const line of access) expect(line.trace_id).toMatch(/^[0-9a-f]{32}$/);
  });

  it('a page gets a request id of its own on its x-request-id and its access line', async () => {
    const s = stack();
    const res = await fetch(`${s.app.url}/login`);
    expect(res.status).toBe(200);
    const requestId = res.headers.get('x-request-id');
    expect(requestId).toMatch(/^[0-9a-f]{32}$/);
    const line = await s.app.waitForLog(new RegExp(`"trace_id":"${requestId}"`));
    expect(JSON.parse(line.line)).toMatchObject({ 'event.name': 'http.access', 'url.path': '/login', trace_id: requestId });
  });
});
