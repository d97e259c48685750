import { describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../helpers/app-server';
import { useStack } from '../helpers/stack';
import { HttpClient, newTraceparent } from '../helpers/http-client';

describe('metrics (when enabled) and slow-query logging, over OTLP/HTTP JSON', () => {
  const otlpApp = useStack({
    otlp: { traces: true, logs: true, metrics: true },
    env: { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', DB_SLOW_QUERY_MS: '0' },
  });

  it('records http.server.request.duration and db.client.operation.duration histograms', async () => {
    const { app, otlp: receiver } = otlpApp();
    const client = new HttpClient(app.url);
    expect((await client.login('alice@drop.test', DEMO_PASSWORD)).status).toBe(200);
    expect((await client.get('/api/account')).status).toBe(200);
    const names = await receiver.waitFor(
      () => {
        const found = new Set(receiver.metrics.map((m) => m.name));
        const routes = receiver.metrics
          .filter((m) => m.name === 'http.server.request.duration')
          .flatMap((m) => m.dataPointAttributes.map((a) => a['http.route']));
        return found.has('http.server.request.duration') && found.has('db.client.operation.duration') && routes.includes('/api/account')
          ? found
          : undefined;
      },
      15_000,
      'both histograms',
    );
    expect(names.size).toBeGreaterThanOrEqual(2);
    const db = receiver.metrics.find((m) => m.name === 'db.client.operation.duration');
    expect(db?.unit).toBe('s');
    expect(db?.dataPointAttributes.some((a) => a['db.system.name'] === 'sqlite' && a['db.operation.name'] === 'SELECT')).toBe(true);
  });

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
