import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, type AppServer } from '../helpers/app-server';
import { DIALECTS } from '../helpers/databases';
import { HttpClient, newTraceparent } from '../helpers/http-client';
import type { OtlpReceiver } from '../helpers/otlp-receiver';
import type { SentryEvent, SentryIngest } from '../helpers/sentry-ingest';
import { useStack } from '../helpers/stack';

/** Prints on exit whether the server process ever set up Sentry's global carrier, and how many clients it had. */
const SENTRY_PROBE = `--import ${path.resolve(import.meta.dirname, '../helpers/sentry-probe.mjs')}`;
const GIT_SHA = '0123456789abcdef0123456789abcdef01234567';

const eventsFor = (ingest: SentryIngest, traceId: string) => ingest.events().filter((e) => e.tags?.request_id === traceId);
const settle = (ms = 1_000) => new Promise((r) => setTimeout(r, ms));

async function signedIn(app: AppServer, email: string): Promise<{ client: HttpClient; userId: string }> {
  const client = new HttpClient(app.url);
  const res = await client.login(email, DEMO_PASSWORD);
  expect(res.status).toBe(200);
  return { client, userId: res.body.user.id as string };
}

describe.each(DIALECTS)('Sentry on the server, on %s', (dialect) => {
  const stack = useStack({
    dialect,
    sentry: true,
    otlp: { traces: true },
    env: {
      SENTRY_ENVIRONMENT: 'e2e',
      SENTRY_RELEASE: undefined,
      GIT_SHA,
      // Set on purpose: it must configure the OTel sampler, never make Sentry trace on its own.
      SENTRY_TRACES_SAMPLE_RATE: '1',
      OTEL_TRACES_SAMPLER: undefined,
      NODE_OPTIONS: SENTRY_PROBE,
    },
  });
  let ingest: SentryIngest;
  let receiver: OtlpReceiver;
  let app: AppServer;
  beforeAll(() => {
    ({ app, sentry: ingest, otlp: receiver } = stack());
  });

  it('sends a thrown route error exactly once, on the trace of its log lines and x-request-id', async () => {
    const { client, userId } = await signedIn(app, 'admin@drop.test');
    const { traceparent, traceId } = newTraceparent();
    const res = await client.post('/api/admin/debug/error', undefined, { headers: { traceparent } });
    expect(res.status).toBe(500);
    expect(res.headers.get('x-request-id')).toBe(traceId);
    expect(res.body.error).toEqual({ code: 'internal', message: 'Something went wrong on our side', traceId });

    const [event] = await ingest.waitFor(
      () => {
        const found = eventsFor(ingest, traceId);
        return found.length > 0 ? found : undefined;
      },
      15_000,
      'the route error event',
    );
    await settle();
    expect(eventsFor(ingest, traceId)).toHaveLength(1);
    expect(ingest.events().filter((e) => e.contexts?.trace?.trace_id === traceId)).toHaveLength(1);

    expect(event?.contexts?.trace?.trace_id).toBe(traceId);
    expect(event?.user).toEqual({ id: userId });
    expect(event?.tags).toMatchObject({ request_id: traceId, route: '/api/admin/debug/error', method: 'POST' });
    expect(event?.environment).toBe('e2e');
    expect(event?.release).toBe('drop@0.1.0+0123456789ab');
    expect(event?.exception?.values?.[0]).toMatchObject({
      type: 'DeliberateError',
      mechanism: { type: 'drop.route', handled: false },
    });

    // The same trace id on the request's log lines, among them the one error access line.
    const lines = app.logRecords().filter((l) => l.trace_id === traceId);
    expect(lines.some((l) => l['event.name'] === 'http.access' && l.level === 'error' && l['http.response.status_code'] === 500)).toBe(
      true,
    );
    // …and on its server span, which went to the OTLP endpoint, not to Sentry's envelope endpoint.
    await receiver.waitFor(() => receiver.spans.find((s) => s.traceId === traceId && s.attributes['http.route']), 10_000, 'the span');
    expect(ingest.itemsOfType('transaction')).toEqual([]);
    expect(ingest.itemsOfType('span')).toEqual([]);
    expect(ingest.otlpRequests).toEqual([]);
  });

  it('sends a page error (Next onRequestError) exactly once, with its trace id', async () => {
    const { client } = await signedIn(app, 'admin@drop.test');
    const { traceparent, traceId } = newTraceparent();
    const res = await client.get('/admin/debug/server-error', { headers: { traceparent } });
    expect(res.status).toBe(500);
    const [event] = await ingest.waitFor(
      () => {
        const found = eventsFor(ingest, traceId);
        return found.length > 0 ? found : undefined;
      },
      15_000,
      'the page error event',
    );
    await settle();
    expect(eventsFor(ingest, traceId)).toHaveLength(1);
    expect(event?.contexts?.trace?.trace_id).toBe(traceId);
    expect(event?.tags).toMatchObject({ route: '/admin/debug/server-error', method: 'GET' });
    expect(event?.exception?.values?.[0]?.mechanism?.type).toBe('next.onRequestError.render');
    expect(event?.exception?.values?.[0]?.value).toMatch(/^Deliberate server render error/);
  });

  it('captures an unhandled rejection and an uncaught exception, and keeps serving', async () => {
    const { client } = await signedIn(app, 'admin@drop.test');
    for (const kind of ['unhandled-rejection', 'uncaught-exception'] as const) {
      const res = await client.post('/api/admin/debug/error', { kind });
      expect(res.status).toBe(202);
    }
    const byMechanism = (type: string) => (e: SentryEvent) => e.exception?.values?.[0]?.mechanism?.type === type;
    const rejection = await ingest.waitFor(
      () => ingest.events().find(byMechanism('auto.node.onunhandledrejection')),
      15_000,
      'the unhandled rejection event',
    );
    expect(rejection.exception?.values?.[0]).toMatchObject({ type: 'DeliberateError', mechanism: { handled: false } });
    expect(rejection.exception?.values?.[0]?.value).toMatch(/^Deliberate unhandled-rejection error/);
    const uncaught = await ingest.waitFor(
      () => ingest.events().find(byMechanism('auto.node.onuncaughtexception')),
      15_000,
      'the uncaught exception event',
    );
    expect(uncaught.exception?.values?.[0]?.value).toMatch(/^Deliberate uncaught-exception error/);
    expect((await new HttpClient(app.url).get('/api/health')).status).toBe(200);
  });

  it('does not send expected errors: 400, 401, 403, 404', async () => {
    const { client: alice } = await signedIn(app, 'alice@drop.test');
    const { client: admin } = await signedIn(app, 'admin@drop.test');
    const anonymous = new HttpClient(app.url);
    const traces: string[] = [];
    const send = async (expected: number, call: (headers: Record<string, string>) => Promise<{ status: number }>) => {
      const { traceparent, traceId } = newTraceparent();
      const res = await call({ traceparent });
      expect(res.status).toBe(expected);
      traces.push(traceId);
    };
    await send(400, (headers) => alice.post('/api/transfers', { toEmail: 'not-an-email', amountCents: -1 }, { headers }));
    await send(400, (headers) => admin.post('/api/admin/debug/error', { kind: 'no-such-kind' }, { headers }));
    await send(401, (headers) => anonymous.get('/api/account', { headers }));
    await send(403, (headers) => alice.post('/api/admin/debug/error', undefined, { headers }));
    await send(404, (headers) => alice.post(`/api/transfers/${crypto.randomUUID()}/confirm`, undefined, { headers }));
    await send(403, (headers) => alice.get('/admin/debug', { headers }));

    // A 500 afterwards is the barrier: once its event is in, any event of the requests before it would be too.
    const barrier = newTraceparent();
    expect((await admin.post('/api/admin/debug/error', undefined, { headers: { traceparent: barrier.traceparent } })).status).toBe(500);
    await ingest.waitFor(() => eventsFor(ingest, barrier.traceId)[0], 15_000, 'the barrier event');
    await settle();
    expect(traces).toHaveLength(6);
    for (const traceId of traces) {
      expect(ingest.events().filter((e) => e.tags?.request_id === traceId || e.contexts?.trace?.trace_id === traceId)).toEqual([]);
    }
  });

  it('keeps canary secrets of the failing request out of every envelope', async () => {
    const password = 'Canary-Password-51c7';
    const documentNumber = 'CANARYDOC4471';
    const card = '4111 1111 1111 1111';
    const bearer = 'canary-bearer-token-9d2f';
    const { client } = await signedIn(app, 'admin@drop.test');
    const jwt = client.cookie('drop_session');
    expect(jwt).toMatch(/^eyJ/);
    const { traceparent, traceId } = newTraceparent();
    const query = new URLSearchParams({ password, token: bearer, documentNumber, card: card.replaceAll(' ', '') });
    const res = await client.post(
      `/api/admin/debug/error?${query}`,
      { kind: 'route', password, cardNumber: card, documentNumber, note: `pay with ${card}`, session: jwt },
      { headers: { traceparent, authorization: `Bearer ${bearer}`, 'x-session-token': jwt! } },
    );
    expect(res.status).toBe(500);
    const event = await ingest.waitFor(() => eventsFor(ingest, traceId)[0], 15_000, 'the canary request event');
    expect(event.request?.data).toBeUndefined();
    expect(event.request?.cookies).toBeUndefined();
    await settle();

    const everything = ingest.rawBodies.map((b) => b.toString('utf8')).join('\n');
    for (const secret of [password, documentNumber, card, card.replaceAll(' ', ''), jwt!, bearer, client.cookie('drop_csrf')!]) {
      expect(everything).not.toContain(secret);
    }
    expect(ingest.rejected).toEqual([]);
  });

  it('has one Sentry client in the server process (the probe the no-DSN test relies on)', async () => {
    expect(app.logRecords().filter((l) => l['event.name'] === 'sentry.started')).toHaveLength(1);
    await app.stop();
    expect(app.logs.filter((l) => l.line.startsWith('[sentry-probe]')).map((l) => l.line)).toEqual([
      '[sentry-probe] carrier=yes clients=1',
    ]);
  });
});

describe.each(DIALECTS)('without SENTRY_DSN, on %s', (dialect) => {
  // Everything Sentry-related is set except the DSN itself: nothing may be sent, nothing loaded.
  const stack = useStack({
    dialect,
    sentry: true,
    env: { SENTRY_DSN: undefined, NEXT_PUBLIC_SENTRY_DSN: undefined, SENTRY_ENVIRONMENT: 'e2e', NODE_OPTIONS: SENTRY_PROBE },
  });
  let ingest: SentryIngest;
  let app: AppServer;
  beforeAll(() => {
    ({ app, sentry: ingest } = stack());
  });

  it('serves, answers a 500 with its trace id, and never sets up Sentry', async () => {
    const { client } = await signedIn(app, 'admin@drop.test');
    const { traceparent, traceId } = newTraceparent();
    const res = await client.post('/api/admin/debug/error', undefined, { headers: { traceparent } });
    expect(res.status).toBe(500);
    expect(res.body.error.traceId).toBe(traceId);
    expect((await client.get('/admin/debug/server-error')).status).toBe(500);
    expect((await client.post('/api/admin/debug/error', { kind: 'unhandled-rejection' })).status).toBe(202);
    const config = await client.get('/api/client-config');
    expect(config.body).toEqual({ sentry: null });
    await app.waitForLog(/"event.name":"process.unhandled_rejection"/);
    await settle();
    await app.stop();

    expect(app.logs.filter((l) => l.line.startsWith('[sentry-probe]')).map((l) => l.line)).toEqual(['[sentry-probe] carrier=no clients=0']);
    expect(app.logRecords().filter((l) => l['event.name'] === 'sentry.started')).toEqual([]);
    expect(ingest.envelopes).toEqual([]);
  });
});
