import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOtlpReceiver, type OtlpReceiver } from '../../test/helpers/otlp-receiver';
import { parseTelemetryConfig } from '../config';
import { currentRequestId, installRequestScope } from '../request-scope';
import { startTelemetry, type Telemetry } from '../sdk';

const SECRET = 'a-shared-secret-of-the-proxy';

let receiver: OtlpReceiver;
let telemetry: Telemetry | undefined;
let server: http.Server;
let url: string;

/**
 * The layer in a plain Node HTTP server that does what Next's base server does for a request: extract the incoming
 * headers with the global propagator, start the SERVER span with Next's deprecated attributes, set the status.
 */
beforeAll(async () => {
  receiver = await startOtlpReceiver();
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url;
  const config = parseTelemetryConfig(
    {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_LOGS_EXPORTER: 'none',
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_BSP_SCHEDULE_DELAY: '50',
      TRACE_CONTEXT_TRUST_SECRET: SECRET,
    },
    '1.2.3',
  );
  installRequestScope();
  telemetry = startTelemetry(config);
  const tracer = trace.getTracer('next.js');
  server = http.createServer((req, res) => {
    const remote = propagation.extract(context.active(), req.headers);
    context.with(remote, () =>
      tracer.startActiveSpan(
        'GET',
        { kind: SpanKind.SERVER, attributes: { 'http.method': req.method, 'http.target': req.url } },
        (span) => {
          res.setHeader('x-request-id', currentRequestId() ?? '');
          // As Next's app-route handler does, after the span started.
          span.setAttribute('http.target', req.url ?? '/');
          res.end('ok');
          span.setAttribute('http.status_code', 200);
          span.end();
        },
      ),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  await telemetry?.shutdown(2_000);
  await receiver.close();
});

const traceparentOf = (traceId: string, spanId: string) => `00-${traceId}-${spanId}-01`;

/** node:http, not fetch: the SDK in this process instruments fetch (undici) and would put its own traceparent on. */
function get(path: string, headers: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get(`${url}${path}`, { headers: { host: 'drop.example:8443', ...headers } }, (res) => {
        res.resume();
        res.on('end', () => resolve(String(res.headers['x-request-id'])));
      })
      .on('error', reject);
  });
}

describe('the server span and the request id, in a plain Node server', () => {
  it("stable HTTP attributes on the server span; Next's deprecated ones gone; the request id is its trace id", async () => {
    const requestId = await get('/api/things?page=2', { 'x-forwarded-proto': 'https' });
    const span = await receiver.waitFor(() => receiver.spans.find((s) => s.traceId === requestId), 5_000, 'the server span');
    expect(span.attributes).toMatchObject({
      'http.request.method': 'GET',
      'url.path': '/api/things',
      'url.scheme': 'https',
      'server.address': 'drop.example',
      'server.port': '8443',
      'http.response.status_code': '200',
    });
    for (const deprecated of ['http.method', 'http.target', 'http.status_code']) expect(span.attributes).not.toHaveProperty(deprecated);
    expect(span.resource['service.instance.id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("a stranger's traceparent: a new trace, linked to the caller's span; each request its own id", async () => {
    const hostile = traceparentOf('11111111111111111111111111111111', '2222222222222222');
    const first = await get('/a', { traceparent: hostile });
    const second = await get('/b', { traceparent: hostile });
    expect(new Set([first, second, '11111111111111111111111111111111']).size).toBe(3);
    const spans = await receiver.waitFor(
      () => {
        const found = [first, second].map((id) => receiver.spans.find((s) => s.traceId === id));
        return found.every(Boolean) ? found : undefined;
      },
      5_000,
      'both spans',
    );
    for (const span of spans) {
      expect(span!.parentSpanId).toBe('');
      expect(span!.links).toEqual([
        { traceId: '11111111111111111111111111111111', spanId: '2222222222222222', attributes: { 'drop.trace.parent.untrusted': true } },
      ]);
    }
  });

  it("a trusted caller's traceparent (the shared secret) is honoured", async () => {
    const traceparent = traceparentOf('33333333333333333333333333333333', '4444444444444444');
    expect(await get('/c', { traceparent, 'x-trace-context-trust': SECRET })).toBe('33333333333333333333333333333333');
    const span = await receiver.waitFor(
      () => receiver.spans.find((s) => s.traceId === '33333333333333333333333333333333'),
      5_000,
      'the span',
    );
    expect(span.parentSpanId).toBe('4444444444444444');
    expect(span.links).toEqual([]);
  });
});
