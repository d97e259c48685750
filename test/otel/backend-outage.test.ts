import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type AppServer } from '../helpers/app-server';
import { createTestDatabase, type TestDatabase } from '../helpers/databases';
import { newTraceparent } from '../helpers/http-client';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver';

const QUEUE = 100;
const REPORT_MS = 1_000;

/** One health check under a fresh traceparent (honoured: the test runner is a trusted address); its trace id. */
async function healthCheck(app: AppServer): Promise<string> {
  const { traceparent, traceId } = newTraceparent();
  const res = await fetch(`${app.url}/api/health`, { headers: { traceparent } });
  expect(res.status).toBe(200);
  await res.arrayBuffer();
  return traceId;
}

describe('the backlog rule: after an OTLP backend outage, fresh data first, and every drop counted once per interval', () => {
  let database: TestDatabase;
  let receiver: OtlpReceiver;
  let app: AppServer;
  let port: number;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    receiver = await startOtlpReceiver();
    port = Number(new URL(receiver.url).port);
    app = await startApp({
      databaseUrl: database.url,
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_LOGS_EXPORTER: 'otlp',
        OTEL_METRICS_EXPORTER: 'otlp',
        // JSON: the receiver's protobuf schema reads no histogram buckets.
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_METRIC_EXPORT_INTERVAL: '500',
        OTEL_BSP_MAX_QUEUE_SIZE: String(QUEUE),
        OTEL_BLRP_MAX_QUEUE_SIZE: String(QUEUE),
        OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '20',
        OTEL_BLRP_MAX_EXPORT_BATCH_SIZE: '20',
        OTEL_BSP_SCHEDULE_DELAY: '100',
        OTEL_BLRP_SCHEDULE_DELAY: '100',
        OTEL_EXPORTER_OTLP_TIMEOUT: '500',
        TELEMETRY_DROPPED_REPORT_MS: String(REPORT_MS),
      },
    });
  }, 90_000);

  afterAll(async () => {
    await app?.stop();
    await receiver?.close();
    await database?.drop();
  });

  it('stop the receiver, serve 300 requests, restart it: the newest requests and everything after arrive; drops are reported in one line per interval', async () => {
    const before = await healthCheck(app);
    await receiver.waitFor(() => receiver.logs.some((l) => l.traceId === before), 10_000, 'a record before the outage');

    await receiver.close();
    const outageStarted = Date.now();
    const during: string[] = [];
    for (let i = 0; i < 300; i++) during.push(await healthCheck(app));
    // Let the exporters fail on what they hold, then bring the backend back where the app sends.
    await new Promise((r) => setTimeout(r, 2 * REPORT_MS));
    const outageMs = Date.now() - outageStarted;
    receiver = await startOtlpReceiver(port);
    const after: string[] = [];
    for (let i = 0; i < 5; i++) after.push(await healthCheck(app));

    // Fresh data first: every request after the recovery arrives (logs and spans), and so do the last ones of
    // the outage; the oldest of the outage were the ones dropped.
    await receiver.waitFor(
      () => after.every((id) => receiver.logs.some((l) => l.traceId === id) && receiver.spans.some((s) => s.traceId === id)),
      15_000,
      'the records of every request after the recovery',
    );
    const arrivedLogs = new Set(receiver.logs.map((l) => l.traceId));
    const arrivedSpans = new Set(receiver.spans.map((s) => s.traceId));
    expect(arrivedLogs.has(during.at(-1)!)).toBe(true);
    expect(arrivedSpans.has(during.at(-1)!)).toBe(true);
    expect(arrivedLogs.has(during[0]!)).toBe(false);
    const firstArrived = during.findIndex((id) => arrivedLogs.has(id));
    // What arrived of the outage is its tail, at most a queue's worth.
    expect(during.slice(firstArrived).filter((id) => arrivedLogs.has(id)).length).toBeLessThanOrEqual(QUEUE);
    expect(during.length - firstArrived).toBeLessThanOrEqual(QUEUE + 20);

    // Reported: counts per signal, one line per interval with drops, never a line per batch or per span.
    const reports = await receiver.waitFor(
      () => {
        const lines = app.logRecords().filter((l) => l['event.name'] === 'otel.dropped');
        return lines.length > 0 ? lines : undefined;
      },
      5_000,
      'otel.dropped lines',
    );
    const sum = (key: string) => reports.reduce((n, l) => n + Number(l[key] ?? 0), 0);
    expect(sum('otel.dropped.logs.queue_full') + sum('otel.dropped.logs.export_failed')).toBeGreaterThanOrEqual(300 - QUEUE);
    expect(sum('otel.dropped.spans.queue_full') + sum('otel.dropped.spans.export_failed')).toBeGreaterThan(0);
    expect(sum('otel.dropped.metrics.export_failed')).toBeGreaterThan(0);
    expect(reports.length).toBeLessThanOrEqual(Math.ceil(outageMs / REPORT_MS) + 2);
    for (const line of reports) {
      expect(line.level).toBe('warn');
      expect(String(line.msg)).toMatch(/^telemetry dropped in the last 1 s: /);
    }
    // The SDK's own per-batch message is gone.
    expect(app.logs.filter((l) => /Dropped \d+ (spans|logs)/.test(l.line))).toEqual([]);
  }, 120_000);
});
