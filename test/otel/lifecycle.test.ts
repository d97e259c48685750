import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/databases';
import { DEMO_PASSWORD, freePort, startApp } from '../helpers/app-server';
import { startOtlpReceiver } from '../helpers/otlp-receiver';
import { HttpClient } from '../helpers/http-client';

const FAST_EXPORT = { OTEL_BSP_SCHEDULE_DELAY: '200', OTEL_BLRP_SCHEDULE_DELAY: '200' };

describe('lifecycle and degraded modes', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('SIGTERM under load: started/stopping events, every completed request exported, exit 0', async () => {
    const receiver = await startOtlpReceiver();
    // A long batch delay: whatever arrives after SIGTERM was flushed by the graceful stop, not by the timer.
    const app = await startApp({
      databaseUrl: db.url,
      env: {
        OTEL_BSP_SCHEDULE_DELAY: '60000',
        OTEL_BLRP_SCHEDULE_DELAY: '60000',
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_LOGS_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      },
    });
    const client = new HttpClient(app.url);
    expect((await client.login('bob@drop.test', DEMO_PASSWORD)).status).toBe(200);

    const completed: string[] = [];
    let stop = false;
    const worker = async () => {
      while (!stop) {
        try {
          const res = await fetch(`${app.url}/api/account`, { headers: { cookie: client.cookieHeader() } });
          await res.text();
          const id = res.headers.get('x-request-id');
          if (res.status === 200 && id) completed.push(id);
        } catch {
          // connection refused once the server stops accepting
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    };
    const workers = Array.from({ length: 4 }, worker);
    await new Promise((r) => setTimeout(r, 1_500));
    const { code: exitCode } = await app.stop('SIGTERM');
    stop = true;
    await Promise.all(workers);

    expect(exitCode).toBe(0);
    expect(completed.length).toBeGreaterThan(10);
    const exportedTraceIds = new Set(receiver.spans.map((s) => s.traceId));
    const missing = completed.filter((id) => !exportedTraceIds.has(id));
    expect(missing).toEqual([]);
    const events = receiver.logs.map((l) => l.eventName || l.attributes['event.name']);
    expect(events).toContain('app.started');
    expect(events).toContain('app.stopping');
    const stdoutEvents = app.logRecords().map((l) => l['event.name']);
    expect(stdoutEvents.indexOf('app.started')).toBeLessThan(stdoutEvents.indexOf('app.stopping'));
    await receiver.close();
  });

  it('serves normally with no collector listening, and reports export failures at most once a minute', async () => {
    const closedPort = await freePort();
    const app = await startApp({
      databaseUrl: db.url,
      env: {
        ...FAST_EXPORT,
        OTEL_EXPORTER_OTLP_TIMEOUT: '500',
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_LOGS_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${closedPort}`,
      },
    });
    try {
      const client = new HttpClient(app.url);
      expect((await client.login('alice@drop.test', DEMO_PASSWORD)).status).toBe(200);
      for (let i = 0; i < 30; i++) expect((await client.get('/api/account')).status).toBe(200);
      // Several export rounds (200 ms each) fail in this time.
      await new Promise((r) => setTimeout(r, 2_000));
      for (let i = 0; i < 10; i++) expect((await client.get('/api/account')).status).toBe(200);
      await new Promise((r) => setTimeout(r, 1_000));
      const diagnostics = app.logRecords().filter((l) => l['event.name'] === 'otel.diagnostic');
      expect(diagnostics.length).toBeGreaterThan(0);
      const perMessage = new Map<string, number>();
      for (const d of diagnostics) perMessage.set(String(d.msg), (perMessage.get(String(d.msg)) ?? 0) + 1);
      for (const count of perMessage.values()) expect(count).toBe(1);
    } finally {
      expect((await app.stop()).code).toBe(0);
    }
  });

  it('OTEL_SDK_DISABLED=true: no SDK, the app works and still logs JSON', async () => {
    const receiver = await startOtlpReceiver();
    const app = await startApp({
      databaseUrl: db.url,
      env: {
        ...FAST_EXPORT,
        OTEL_SDK_DISABLED: 'true',
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_LOGS_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      },
    });
    try {
      const client = new HttpClient(app.url);
      expect((await client.login('alice@drop.test', DEMO_PASSWORD)).status).toBe(200);
      const res = await client.get('/api/account');
      expect(res.status).toBe(200);
      // No trace, so the request id is a random one in the trace id's shape, on the answer and on its access line.
      const requestId = res.headers.get('x-request-id');
      expect(requestId).toMatch(/^[0-9a-f]{32}$/);
      const access = app.logRecords().filter((l) => l['event.name'] === 'http.access');
      expect(access.length).toBeGreaterThanOrEqual(2);
      expect(access.filter((l) => l.trace_id === requestId)).toHaveLength(1);
      expect(access.every((l) => l.span_id === undefined)).toBe(true);
      await new Promise((r) => setTimeout(r, 800));
      expect(receiver.requests).toHaveLength(0);
    } finally {
      await app.stop();
      await receiver.close();
    }
  });
});
