import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../helpers/app-server';
import { useStack } from '../helpers/stack';
import { HttpClient, newTraceparent } from '../helpers/http-client';
import type { OtlpReceiver } from '../helpers/otlp-receiver';

interface JsonHistogramPoint {
  explicitBounds?: number[];
}
interface JsonMetric {
  name: string;
  histogram?: { dataPoints: JsonHistogramPoint[] };
}

/** The histograms' bucket boundaries as sent (OTLP/JSON bodies, read from the receiver's raw bodies). */
function bucketBounds(otlp: OtlpReceiver, name: string): number[] | undefined {
  for (const body of otlp.rawBodies) {
    const text = body.toString('utf8');
    if (!text.startsWith('{') || !text.includes('resourceMetrics')) continue;
    const parsed = JSON.parse(text) as { resourceMetrics: { scopeMetrics: { metrics: JsonMetric[] }[] }[] };
    for (const rm of parsed.resourceMetrics)
      for (const sm of rm.scopeMetrics)
        for (const m of sm.metrics) if (m.name === name && m.histogram) return m.histogram.dataPoints[0]?.explicitBounds;
  }
  return undefined;
}

const pointsOf = (otlp: OtlpReceiver, name: string) => otlp.metrics.filter((m) => m.name === name).flatMap((m) => m.dataPointAttributes);

describe('metrics: on by default with an OTLP endpoint, over OTLP/HTTP JSON', () => {
  const otlpApp = useStack({
    otlp: { traces: true, logs: true },
    // Only the endpoint (from the stack) and the interval: no OTEL_METRICS_EXPORTER.
    env: {
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      DB_SLOW_QUERY_MS: '0',
      OTEL_METRICS_EXPORTER: undefined,
      OTEL_METRIC_EXPORT_INTERVAL: '500',
    },
  });

  it('HTTP and DB durations with their attributes, units and buckets; runtime metrics; business counters by outcome', async () => {
    const { app, otlp: receiver } = otlpApp();
    const client = new HttpClient(app.url);
    expect((await new HttpClient(app.url).login('alice@drop.test', 'wrong password')).status).toBe(401);
    expect((await client.login('alice@drop.test', DEMO_PASSWORD)).status).toBe(200);
    expect((await client.get('/api/account')).status).toBe(200);
    const transfer = await client.post(
      '/api/transfers',
      { toEmail: 'bob@drop.test', amountCents: 100 },
      { headers: { 'idempotency-key': crypto.randomUUID() } },
    );
    expect(transfer.status).toBe(201);
    const unknownRecipient = await client.post(
      '/api/transfers',
      { toEmail: 'nobody@drop.test', amountCents: 100 },
      { headers: { 'idempotency-key': crypto.randomUUID() } },
    );
    expect(unknownRecipient.status).toBe(404);
    const failedCode = 'recipient_not_found';

    const wanted = [
      'http.server.request.duration',
      'db.client.operation.duration',
      'nodejs.eventloop.delay.p99',
      'nodejs.eventloop.utilization',
      'v8js.memory.heap.used',
      'drop.auth.logins',
      'drop.transfers',
    ];
    await receiver.waitFor(
      () => {
        const names = new Set(receiver.metrics.map((m) => m.name));
        const routes = pointsOf(receiver, 'http.server.request.duration').map((a) => a['http.route']);
        const transfers = pointsOf(receiver, 'drop.transfers').map((a) => a.outcome);
        return wanted.every((n) => names.has(n)) && routes.includes('/api/account') && transfers.includes(failedCode);
      },
      20_000,
      `the metrics ${wanted.join(', ')}`,
    );
    const http = receiver.metrics.find((m) => m.name === 'http.server.request.duration')!;
    expect(http.unit).toBe('s');
    expect(pointsOf(receiver, 'http.server.request.duration')).toContainEqual({
      'url.scheme': 'http',
      'http.request.method': 'GET',
      'http.route': '/api/account',
      'http.response.status_code': '200',
    });
    expect(bucketBounds(receiver, 'http.server.request.duration')).toEqual([
      0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
    ]);

    const db = receiver.metrics.find((m) => m.name === 'db.client.operation.duration')!;
    expect(db.unit).toBe('s');
    expect(
      pointsOf(receiver, 'db.client.operation.duration').some(
        (a) => a['db.system.name'] === 'sqlite' && a['db.operation.name'] === 'SELECT',
      ),
    ).toBe(true);
    // Sub-millisecond buckets: SQLite statements do not all land in the first one.
    expect(bucketBounds(receiver, 'db.client.operation.duration')?.slice(0, 4)).toEqual([0.0001, 0.00025, 0.0005, 0.001]);

    // Business counters by outcome.
    expect(pointsOf(receiver, 'drop.auth.logins').map((a) => a.outcome)).toEqual(
      expect.arrayContaining(['success', 'invalid_credentials']),
    );
    expect(pointsOf(receiver, 'drop.transfers').map((a) => a.outcome)).toEqual(expect.arrayContaining(['success', failedCode]));
    expect(receiver.metrics.find((m) => m.name === 'drop.transfers')?.unit).toBe('{transfer}');

    // Runtime metrics, and the resource that makes each replica a series of its own.
    expect(receiver.metrics.find((m) => m.name === 'v8js.memory.heap.used')?.unit).toBe('By');
    expect(http.resource['service.name']).toBe('drop');
    expect(String(http.resource['deployment.environment.name'])).toMatch(/^\w+$/);
    expect(String(http.resource['service.version'])).toMatch(/^\d+\.\d+\.\d+/);
    expect(http.resource['service.instance.id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it('drop.db.sqlite.busy counts a transaction that gave up on the write lock (held by another connection)', async () => {
    const { app, otlp: receiver, db } = otlpApp();
    const client = new HttpClient(app.url);
    expect((await client.login('bob@drop.test', DEMO_PASSWORD)).status).toBe(200);
    // Another writer holds SQLite's write lock for longer than the app's busy_timeout (5 s).
    await sql`BEGIN IMMEDIATE`.execute(db.db);
    let res;
    try {
      res = await client.post(
        '/api/transfers',
        { toEmail: 'alice@drop.test', amountCents: 100 },
        { headers: { 'idempotency-key': crypto.randomUUID() } },
      );
    } finally {
      await sql`COMMIT`.execute(db.db);
    }
    expect(res.status).toBeGreaterThanOrEqual(500);
    await receiver.waitFor(() => pointsOf(receiver, 'drop.db.sqlite.busy').length > 0, 10_000, 'drop.db.sqlite.busy');
    expect(pointsOf(receiver, 'drop.db.sqlite.busy')[0]).toMatchObject({
      'db.system.name': 'sqlite',
      'error.type': expect.stringMatching(/^SQLITE_BUSY/),
    });
    expect(receiver.metrics.find((m) => m.name === 'drop.db.sqlite.busy')?.unit).toBe('{error}');
    expect(pointsOf(receiver, 'drop.transfers').map((a) => a.outcome)).toContain('error');
  }, 30_000);

  it('logs statements slower than DB_SLOW_QUERY_MS at warn with their shape and the trace id, never values', async () => {
    const { app, otlp: receiver } = otlpApp();
    const client = new HttpClient(app.url);
    await client.login('bob@drop.test', DEMO_PASSWORD);
    const { traceparent, traceId } = newTraceparent();
    const res = await client.post(
      '/api/transfers',
      { toEmail: 'alice@drop.test', amountCents: 777 },
      { headers: { traceparent, 'idempotency-key': `slow-${traceId}` } },
    );
    expect(res.status).toBe(201);
    const slow = await receiver.waitFor(
      () => {
        const lines = app.logRecords().filter((l) => l['event.name'] === 'db.slow_query' && l.trace_id === traceId);
        return lines.some((l) => l['db.operation.name'] === 'INSERT') ? lines : undefined;
      },
      10_000,
      'slow query lines',
    );
    for (const line of slow) {
      expect(line.level).toBe('warn');
      expect(typeof line['db.query.text']).toBe('string');
      expect(String(line['db.query.text'])).not.toContain('alice@drop.test');
      expect(String(line['db.query.text'])).not.toContain('777');
      expect(typeof line.duration_ms).toBe('number');
    }
  });
});

describe('metrics on PostgreSQL: the connection pool', () => {
  const otlpApp = useStack({ dialect: 'postgres', otlp: { metrics: true }, env: { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' } });

  it('db.client.connection.count by state, .max and .pending_requests, with the pool name', async () => {
    const { app, otlp: receiver } = otlpApp();
    const client = new HttpClient(app.url);
    expect((await client.login('alice@drop.test', DEMO_PASSWORD)).status).toBe(200);
    await receiver.waitFor(
      () => {
        const states = pointsOf(receiver, 'db.client.connection.count').map((a) => a['db.client.connection.state']);
        return states.includes('idle') && states.includes('used') && pointsOf(receiver, 'db.client.connection.max').length > 0;
      },
      15_000,
      'the pool metrics',
    );
    const base = { 'db.system.name': 'postgresql', 'db.client.connection.pool.name': 'drop' };
    expect(pointsOf(receiver, 'db.client.connection.count')).toContainEqual({ ...base, 'db.client.connection.state': 'idle' });
    expect(pointsOf(receiver, 'db.client.connection.max')).toContainEqual(base);
    expect(pointsOf(receiver, 'db.client.connection.pending_requests')).toContainEqual(base);
    expect(receiver.metrics.find((m) => m.name === 'db.client.connection.count')?.unit).toBe('{connection}');
  });
});
