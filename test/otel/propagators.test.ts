import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../helpers/app-server';
import { HttpClient, newTraceparent } from '../helpers/http-client';
import { useStack, type Stack } from '../helpers/stack';

const TRUST_SECRET = 'proxy-shared-secret-0123456789';
const SERVER_SPAN = 2;

/** Logs alice in with these headers; the response's x-request-id. */
async function login(stack: Stack, headers: Record<string, string>): Promise<string> {
  const res = await new HttpClient(stack.app.url).login('alice@drop.test', DEMO_PASSWORD, { headers });
  expect(res.status, res.text).toBe(200);
  return res.headers.get('x-request-id')!;
}

const b3Headers = () => {
  const traceId = crypto.randomBytes(16).toString('hex');
  const spanId = crypto.randomBytes(8).toString('hex');
  return { traceId, spanId, headers: { 'x-b3-traceid': traceId, 'x-b3-spanid': spanId, 'x-b3-sampled': '1' } };
};

/**
 * OTEL_PROPAGATORS chooses the formats the server reads (and writes); the trusted-caller rule holds for every format:
 * only a trusted caller (here by the shared secret) chooses the request's trace and so its request id.
 */
describe('OTEL_PROPAGATORS=b3multi,zipkin behind the trusted-caller check', () => {
  const stack = useStack({
    otlp: true,
    env: { OTEL_PROPAGATORS: 'b3multi,zipkin', TRACE_CONTEXT_TRUSTED_ADDRESSES: undefined, TRACE_CONTEXT_TRUST_SECRET: TRUST_SECRET },
  });

  it('warns once about the unknown value at start-up', () => {
    const warnings = stack()
      .app.logRecords()
      .filter((r) => r['event.name'] === 'otel.config' && String(r.msg).includes('OTEL_PROPAGATORS'));
    expect(warnings.map((r) => r.msg)).toEqual([
      'OTEL_PROPAGATORS: "zipkin" is not a known propagator (use tracecontext, baggage, b3, b3multi, jaeger, none); ignored',
    ]);
  });

  it("honours a trusted caller's B3 headers, and no longer its traceparent", async () => {
    const s = stack();
    const b3 = b3Headers();
    expect(await login(s, { ...b3.headers, 'x-trace-context-trust': TRUST_SECRET })).toBe(b3.traceId);
    const root = await s.otlp.waitFor(
      () => s.otlp.spans.find((span) => span.traceId === b3.traceId && span.kind === SERVER_SPAN),
      15_000,
      'the server span',
    );
    expect(root.parentSpanId).toBe(b3.spanId);

    const { traceparent, traceId } = newTraceparent();
    const requestId = await login(s, { traceparent, 'x-trace-context-trust': TRUST_SECRET });
    expect(requestId).toMatch(/^[0-9a-f]{32}$/);
    expect(requestId).not.toBe(traceId);
  });

  it("starts a trace of its own for a stranger's B3 headers and keeps them as a link", async () => {
    const s = stack();
    const b3 = b3Headers();
    const requestId = await login(s, b3.headers);
    expect(requestId).not.toBe(b3.traceId);
    const root = await s.otlp.waitFor(
      () => s.otlp.spans.find((span) => span.traceId === requestId && span.kind === SERVER_SPAN),
      15_000,
      'the server span',
    );
    expect(root.parentSpanId).toBe('');
    expect(root.links).toEqual([{ traceId: b3.traceId, spanId: b3.spanId, attributes: { 'drop.trace.parent.untrusted': true } }]);
    const rows = await s.db.db.selectFrom('audit_log').select('request_id').where('request_id', '=', b3.traceId).execute();
    expect(rows).toEqual([]);
  });

  it('serves a page through the proxy and the render pass in one trace (the server hands its context on in B3)', async () => {
    const s = stack();
    const res = await fetch(`${s.app.url}/login`);
    expect(res.status).toBe(200);
    const requestId = res.headers.get('x-request-id')!;
    const spans = await s.otlp.waitFor(
      () => {
        const found = s.otlp.spans.filter((span) => span.traceId === requestId);
        return found.some((span) => span.kind === SERVER_SPAN) ? found : undefined;
      },
      15_000,
      'the page spans',
    );
    // Every server span of the request is in the request's trace, none a root of another one.
    const roots = s.otlp.spans.filter((span) => span.kind === SERVER_SPAN && span.attributes['url.path'] === '/login');
    expect(roots.every((span) => span.traceId === requestId)).toBe(true);
    expect(spans.length).toBeGreaterThan(1);
  });
});
