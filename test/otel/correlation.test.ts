import { describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/databases';
import { DEMO_PASSWORD } from '../helpers/app-server';
import { useStack } from '../helpers/stack';
import { HttpClient, newTraceparent } from '../helpers/http-client';
import { NEXT_PLUMBING_SPAN_TYPES } from '../../otel/sampler';

describe.each(DIALECTS)('trace correlation on %s', (dialect) => {
  // Every statement's span (SQLite's default folds fast ones into their transaction's span: otel/db/statement-spans.test.ts).
  const otlpApp = useStack({ dialect, otlp: true, env: { DB_STATEMENT_SPANS: 'all' } });

  it('uses the incoming trace id everywhere: x-request-id, every log line, route and DB spans, OTLP logs', async () => {
    const { app, otlp: receiver } = otlpApp();
    const client = new HttpClient(app.url);
    expect((await client.login('alice@drop.test', DEMO_PASSWORD)).status).toBe(200);
    const { traceparent, traceId } = newTraceparent();
    const res = await client.post(
      '/api/transfers',
      { toEmail: 'bob@drop.test', amountCents: 250 },
      { headers: { traceparent, 'idempotency-key': `corr-${traceId}` } },
    );
    expect(res.status).toBe(201);
    expect(res.headers.get('x-request-id')).toBe(traceId);

    // stdout: the request's lines all carry the trace id, and there is exactly one access line.
    const lines = await receiver.waitFor(
      () => {
        const mine = app.logRecords().filter((l) => l.trace_id === traceId);
        return mine.length > 0 ? mine : undefined;
      },
      10_000,
      'stdout lines of the request',
    );
    const access = app.logRecords().filter((l) => l['event.name'] === 'http.access' && l['url.path'] === '/api/transfers');
    const accessForTrace = access.filter((l) => l.trace_id === traceId);
    expect(accessForTrace).toHaveLength(1);
    expect(accessForTrace[0]).toMatchObject({
      level: 'info',
      'http.request.method': 'POST',
      'http.route': '/api/transfers',
      'http.response.status_code': 201,
      'service.name': 'drop',
    });
    expect(typeof accessForTrace[0]?.['user.id']).toBe('string');
    expect(lines.every((l) => typeof l.span_id === 'string' && (l.span_id as string).length === 16)).toBe(true);

    // OTLP: spans of this trace, including one span per DB statement with the semantic conventions. The server's
    // root span (child of the caller's span) ends after the response is sent, so it may arrive in a later batch.
    const callerSpanId = traceparent.split('-')[2];
    const spans = await receiver.waitFor(
      () => {
        const s = receiver.spans.filter((x) => x.traceId === traceId);
        const complete =
          s.some((x) => x.attributes['db.system.name']) &&
          s.some((x) => x.attributes['http.route']) &&
          s.some((x) => x.parentSpanId === callerSpanId);
        return complete ? s : undefined;
      },
      15_000,
      'spans of the request',
    );
    const dbSpans = spans.filter((s) => s.attributes['db.system.name']);
    expect(dbSpans.every((s) => s.attributes['db.system.name'] === (dialect === 'sqlite' ? 'sqlite' : 'postgresql'))).toBe(true);
    const insert = dbSpans.find((s) => s.attributes['db.operation.name'] === 'INSERT');
    expect(insert?.attributes['db.collection.name']).toBe('transfers');
    expect(insert?.name).toBe('INSERT transfers');
    for (const s of dbSpans) {
      const text = String(s.attributes['db.query.text']);
      expect(text).not.toContain('bob@drop.test');
      expect(text).not.toMatch(/\b250\b/);
    }
    // Next's request span is the server span, with the stable HTTP conventions and none of the deprecated names.
    const server = spans.find((s) => s.kind === 2);
    expect(server?.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/api/transfers',
      'url.path': '/api/transfers',
      'url.scheme': 'http',
      'server.address': '127.0.0.1',
      'http.response.status_code': '201',
      'user.id': accessForTrace[0]?.['user.id'],
    });
    for (const span of spans) {
      for (const deprecated of ['http.method', 'http.target', 'http.status_code', 'enduser.id']) {
        expect(span.attributes, `${span.name} ${deprecated}`).not.toHaveProperty(deprecated);
      }
    }
    expect(server?.resource['service.instance.id']).toMatch(/^[0-9a-f-]{36}$/);
    // No double DB spans: every statement span is ours, none from a driver instrumentation.
    expect(spans.filter((s) => s.scope === '@opentelemetry/instrumentation-pg')).toHaveLength(0);
    // Next's plumbing spans are not recorded, and the tree has no holes: the DB spans hang under the handler span,
    // and every span's parent was exported too (or is the caller's, from the incoming traceparent).
    expect(spans.filter((s) => NEXT_PLUMBING_SPAN_TYPES.has(String(s.attributes['next.span_type'])))).toEqual([]);
    const handler = spans.find((s) => s.attributes['next.span_type'] === 'AppRouteRouteHandlers.runHandler');
    expect(dbSpans.every((s) => s.parentSpanId === handler?.spanId)).toBe(true);
    const spanIds = new Set([...spans.map((s) => s.spanId), callerSpanId]);
    expect(spans.filter((s) => !spanIds.has(s.parentSpanId)).map((s) => s.name)).toEqual([]);

    const otlpLogs = await receiver.waitFor(
      () => {
        const l = receiver.logs.filter((x) => x.traceId === traceId);
        return l.length > 0 ? l : undefined;
      },
      15_000,
      'OTLP log records of the request',
    );
    expect(otlpLogs.some((l) => l.attributes['http.route'] === '/api/transfers')).toBe(true);
    // Event names in the OTLP EventName field, not the deprecated attribute.
    expect(otlpLogs.find((l) => l.attributes['http.route'] === '/api/transfers')?.eventName).toBe('http.access');
    expect(otlpLogs.every((l) => l.attributes['event.name'] === undefined)).toBe(true);
  });

  it('names dynamic routes by their pattern', async () => {
    const { app, otlp: receiver } = otlpApp();
    const client = new HttpClient(app.url);
    await client.login('alice@drop.test', DEMO_PASSWORD);
    const created = await client.post<{ transfer: { id: string } }>(
      '/api/transfers',
      { toEmail: 'bob@drop.test', amountCents: 100 },
      { headers: { 'idempotency-key': `route-${Date.now()}` } },
    );
    const { traceparent, traceId } = newTraceparent();
    const res = await client.post(`/api/transfers/${created.body.transfer.id}/confirm`, undefined, { headers: { traceparent } });
    expect(res.status).toBe(200);
    const line = await receiver.waitFor(
      () => app.logRecords().find((l) => l.trace_id === traceId && l['event.name'] === 'http.access'),
      10_000,
      'access line',
    );
    expect(line['http.route']).toBe('/api/transfers/[id]/confirm');
    expect(line['url.path']).toBe(`/api/transfers/${created.body.transfer.id}/confirm`);
  });

  it('keeps secrets out of stdout and out of every OTLP payload', async () => {
    const { app, otlp: receiver } = otlpApp();
    const password = 'Canary-Password-7e1d';
    const documentNumber = 'CANARYDOC9931';
    const card = '4111 1111 1111 1111';
    const client = new HttpClient(app.url);
    // A failed login with the canary password, then a real session.
    await client.login('alice@drop.test', password, { headers: { authorization: 'Bearer canary-bearer-token' } });
    await client.login('alice@drop.test', DEMO_PASSWORD);
    const jwt = client.cookie('drop_session');
    expect(jwt).toBeTruthy();
    await client.post('/api/kyc', {
      fullName: 'Alice Example',
      dateOfBirth: '1990-01-01',
      documentType: 'passport',
      documentNumber,
    });
    await client.post(
      '/api/transfers',
      { toEmail: 'bob@drop.test', amountCents: 5, note: `card ${card}` },
      { headers: { 'idempotency-key': `secret-${Date.now()}` } },
    );
    await client.post('/api/qr', { amountCents: 5, description: `pay 4111111111111111 ${jwt}` });
    // Let the batch processors export everything.
    await new Promise((r) => setTimeout(r, 1_500));
    const haystacks = [app.logs.map((l) => l.line).join('\n'), ...receiver.rawBodies.map((b) => b.toString('latin1'))];
    for (const secret of [password, documentNumber, card, '4111111111111111', jwt!, 'canary-bearer-token', client.cookie('drop_csrf')!]) {
      for (const haystack of haystacks) expect(haystack).not.toContain(secret);
    }
  });
});

describe('OTEL_LOGS_EXPORTER=none', () => {
  const otlpApp = useStack({ otlp: { traces: true } });

  it('keeps trace_id on every stdout line and exports spans, but sends no log records', async () => {
    const { app, otlp: receiver } = otlpApp();
    const client = new HttpClient(app.url);
    const { traceparent, traceId } = newTraceparent();
    expect((await client.login('alice@drop.test', DEMO_PASSWORD, { headers: { traceparent } })).status).toBe(200);
    const access = await receiver.waitFor(
      () => app.logRecords().find((l) => l.trace_id === traceId && l['event.name'] === 'http.access'),
      10_000,
      'access line',
    );
    expect(access['url.path']).toBe('/api/auth/login');
    await receiver.waitFor(() => (receiver.spans.some((s) => s.traceId === traceId) ? true : undefined), 15_000, 'spans of the request');
    // Two batch delays more: a log record sent at all would have arrived by now.
    await new Promise((r) => setTimeout(r, 600));
    expect(receiver.logs).toHaveLength(0);
  });
});
