// The real collector (otel-collector.yaml + extras files, as docker-compose runs it) fans OTLP out to
// Sentry, the alert processor and an operator's backend, all three played by local fake OTLP/HTTP servers; and without
// the Sentry values (Sentry's extras file left out, as the collector image does) to the other two only.
// One OTLP/HTTP JSON batch of logs, spans and a metric goes in; the test checks who got what, with which
// headers, and that the shared redaction rules were applied before anything left the collector.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCollector, type RunningCollector } from '../helpers/collector-process';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver';

const SENTRY_PUBLIC_KEY = 'f00dfeedf00dfeedf00dfeedf00dfeed';
const SENTRY_PROJECT_PATH = '/api/4242/integration/otlp';
const VENDOR_AUTHORIZATION = 'Bearer vendor-token-for-tests';
const ALERTS_INTAKE_TOKEN = 'collector-test-intake-token-0123';
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEyMyJ9.c2lnbmF0dXJlLWJ5dGVz';

const SEVERITY = { INFO: 9, WARN: 13, ERROR: 17 } as const;
const STATUS = { UNSET: 0, OK: 1, ERROR: 2 } as const;

type JsonValue = { stringValue: string } | { intValue: string } | { arrayValue: { values: JsonValue[] } };
const str = (value: string): JsonValue => ({ stringValue: value });
const int = (value: string): JsonValue => ({ intValue: value });
const attrs = (entries: Record<string, JsonValue>) => Object.entries(entries).map(([key, value]) => ({ key, value }));

const nowNanos = () => (BigInt(Date.now()) * 1_000_000n).toString();
const resource = { attributes: attrs({ 'service.name': str('drop'), 'deployment.environment.name': str('test') }) };

function logsRequest() {
  const time = nowNanos();
  const record = (body: string, severityNumber: number, attributes: Record<string, JsonValue>, eventName?: string) => ({
    timeUnixNano: time,
    severityNumber,
    severityText: Object.entries(SEVERITY).find(([, n]) => n === severityNumber)?.[0],
    body: str(body),
    attributes: attrs(attributes),
    ...(eventName ? { eventName } : {}),
  });
  return {
    resourceLogs: [
      {
        resource,
        scopeLogs: [
          {
            scope: { name: 'fanout-test' },
            logRecords: [
              record('transfer sent: card 4111 1111 1111 1111, see /api/x?token=abc123&page=2', SEVERITY.INFO, {
                password: str('hunter2-plain'),
                currentPassword: str('old-secret-pw'),
                'http.request.header.cookie': str('drop_session=abc'),
                'drop.amount_cents': int('1250'),
                'drop.created_at_ms': int('1764194400000'),
                span_id: str('4111111111111111'),
              }),
              record('transfer failed', SEVERITY.ERROR, { session: str(JWT), 'error.type': str('DatabaseError') }),
              record('app started', SEVERITY.INFO, { 'event.name': str('app.started') }),
              record('app stopping', SEVERITY.INFO, {}, 'app.stopping'),
              record('slow login', SEVERITY.WARN, { 'event.name': str('user.login') }),
              record('GET /api/health 200', SEVERITY.INFO, { 'event.name': str('http.access'), 'http.route': str('/api/health') }),
              record('GET /api/account 200', SEVERITY.INFO, { 'event.name': str('http.access'), 'http.route': str('/api/account') }),
            ],
          },
        ],
      },
    ],
  };
}

function tracesRequest() {
  const time = nowNanos();
  const span = (name: string, spanId: string, code: number, attributes: Record<string, JsonValue>) => ({
    traceId: '5b8efff798038103d269b633813fc60c',
    spanId,
    name,
    kind: 2,
    startTimeUnixNano: time,
    endTimeUnixNano: time,
    attributes: attrs(attributes),
    status: code === STATUS.UNSET ? {} : { code },
  });
  return {
    resourceSpans: [
      {
        resource,
        scopeSpans: [
          {
            scope: { name: 'fanout-test' },
            spans: [
              span('GET /api/health', 'eee19b7ec3c1b171', STATUS.UNSET, {
                'http.request.header.authorization': { arrayValue: { values: [str('Bearer secret-bearer')] } },
                'http.route': str('/api/health'),
              }),
              span('POST /api/transfers', 'eee19b7ec3c1b172', STATUS.ERROR, { cardNumber: int('4111111111111111') }),
              span('GET /api/account', 'eee19b7ec3c1b173', STATUS.OK, { 'x-csrf-token': str('csrf-value') }),
            ],
          },
        ],
      },
    ],
  };
}

function metricsRequest() {
  return {
    resourceMetrics: [
      {
        resource,
        scopeMetrics: [
          {
            scope: { name: 'fanout-test' },
            metrics: [
              {
                name: 'drop.test.queue_depth',
                gauge: { dataPoints: [{ timeUnixNano: nowNanos(), asDouble: 3, attributes: attrs({ api_key: str('k-123') }) }] },
              },
            ],
          },
        ],
      },
    ],
  };
}

async function post(url: string, body: unknown): Promise<void> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`${url}: ${response.status} ${await response.text()}`);
}

async function waitFor(what: string, condition: () => boolean, collector: RunningCollector, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; collector output:\n${collector.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const logBodies = (receiver: OtlpReceiver) => receiver.logs.map((record) => record.body).sort();
const spanNames = (receiver: OtlpReceiver) => receiver.spans.map((span) => span.name).sort();

describe('otel-collector.yaml fan-out (real collector, extras.sentry.yaml and extras.otlp-vendor.yaml merged)', () => {
  let sentry: OtlpReceiver;
  let alerts: OtlpReceiver;
  let vendor: OtlpReceiver;
  let collector: RunningCollector;

  beforeAll(async () => {
    [sentry, alerts, vendor] = [await startOtlpReceiver(), await startOtlpReceiver(), await startOtlpReceiver()];
    collector = await startCollector(
      ['otel-collector.yaml', 'otel/collector/examples/extras.otlp-vendor.yaml', 'otel/collector/examples/extras.sentry.yaml'],
      {
        SENTRY_OTLP_TRACES_ENDPOINT: `${sentry.url}${SENTRY_PROJECT_PATH}/v1/traces`,
        SENTRY_OTLP_LOGS_ENDPOINT: `${sentry.url}${SENTRY_PROJECT_PATH}/v1/logs`,
        SENTRY_PUBLIC_KEY,
        ALERT_PROCESSOR_ENDPOINT: alerts.url,
        ALERTS_INTAKE_TOKEN,
        OTLP_VENDOR_ENDPOINT: vendor.url,
        OTLP_VENDOR_AUTHORIZATION: VENDOR_AUTHORIZATION,
        OTEL_COLLECTOR_SELF_METRICS_INTERVAL_MS: '500',
      },
    );
    await post(`${collector.otlpHttpUrl}/v1/logs`, logsRequest());
    await post(`${collector.otlpHttpUrl}/v1/traces`, tracesRequest());
    await post(`${collector.otlpHttpUrl}/v1/metrics`, metricsRequest());
    // Sentry and the vendor batch for up to 1 s, the alert exporter for 200 ms; all three got the same input
    // at the same moment, so once the slow ones have everything, the alert processor has all it will get.
    await waitFor('Sentry to receive 5 logs and 3 spans', () => sentry.logs.length >= 5 && sentry.spans.length >= 3, collector);
    await waitFor(
      'the vendor to receive 5 logs, 3 spans and the metric',
      () => vendor.logs.length >= 5 && vendor.spans.length >= 3 && vendor.metrics.length >= 1,
      collector,
    );
    await waitFor('the alert processor to receive 4 logs and 1 span', () => alerts.logs.length >= 4 && alerts.spans.length >= 1, collector);
    await waitFor('the alert processor to receive the collector’s own metrics', () => alerts.metrics.length > 0, collector);
    // Anything that should not reach a destination would have arrived by now: give it one more flush window.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
  }, 20 * 60_000); // a cold collector build (no cache) takes minutes; `.ci/run` builds it before the tests

  afterAll(async () => {
    await collector?.stop();
    await Promise.all([sentry, alerts, vendor].map((receiver) => receiver?.close()));
  });

  it('is healthy on the health_check extension', async () => {
    const response = await fetch(collector.healthUrl);
    expect(response.status).toBe(200);
  });

  it('sends every log and span to Sentry, on its OTLP endpoints, with the x-sentry-auth header', () => {
    expect(sentry.rejected).toEqual([]);
    expect(logBodies(sentry)).toHaveLength(7);
    expect(spanNames(sentry)).toEqual(['GET /api/account', 'GET /api/health', 'POST /api/transfers']);
    expect(sentry.requests.length).toBeGreaterThanOrEqual(2);
    for (const request of sentry.requests) {
      expect(request.headers['x-sentry-auth']).toBe(`sentry sentry_key=${SENTRY_PUBLIC_KEY}`);
      expect(request.path).toBe(`${SENTRY_PROJECT_PATH}/v1/${request.signal}`);
    }
    // Sentry takes no OTLP metrics: none are sent there.
    expect(sentry.requests.map((r) => r.signal).sort()).not.toContain('metrics');
    expect(sentry.logs[0]?.resource['service.name']).toBe('drop');
  });

  it("sends the alert processor only error logs, error spans, lifecycle events and the health checks' access logs (the heartbeat)", () => {
    expect(alerts.rejected).toEqual([]);
    expect(logBodies(alerts)).toEqual(['GET /api/health 200', 'app started', 'app stopping', 'transfer failed']);
    expect(spanNames(alerts)).toEqual(['POST /api/transfers']);
    expect(alerts.spans[0]?.status.code).toBe(STATUS.ERROR);
    // Of metrics, only the collector's own (its exporters' counters for the self-watch), never the app's.
    expect(new Set(alerts.metrics.map((m) => m.resource['service.name']))).toEqual(new Set(['drop-otel-collector']));
    expect(alerts.metrics.every((m) => m.name.startsWith('otelcol_'))).toBe(true);
    expect(alerts.metrics.map((m) => m.name)).not.toContain('drop.test.queue_depth');
    const exporters = new Set(
      alerts.metrics.filter((m) => m.name.startsWith('otelcol_exporter_')).flatMap((m) => m.points.map((p) => p.attributes.exporter)),
    );
    expect(exporters).toEqual(new Set(['otlp_http/alert-processor', 'otlp_http/sentry', 'otlp_http/vendor']));
    for (const request of alerts.requests) {
      expect(request.path).toBe(`/v1/${request.signal}`);
      expect(request.headers['x-sentry-auth']).toBeUndefined();
      // The alert processor's shared secret (ALERTS_INTAKE_TOKEN), to the alert processor only.
      expect(request.headers.authorization).toBe(`Bearer ${ALERTS_INTAKE_TOKEN}`);
    }
    for (const request of [...sentry.requests, ...vendor.requests])
      expect(String(request.headers.authorization ?? '')).not.toContain(ALERTS_INTAKE_TOKEN);
  });

  it('sends everything, metrics included, to the backend added by the extras file', () => {
    expect(vendor.rejected).toEqual([]);
    expect(logBodies(vendor)).toEqual(logBodies(sentry));
    expect(spanNames(vendor)).toEqual(spanNames(sentry));
    expect(vendor.metrics.map((m) => m.name)).toEqual(['drop.test.queue_depth']);
    for (const request of vendor.requests) {
      expect(request.headers.authorization).toBe(VENDOR_AUTHORIZATION);
      expect(request.headers['x-sentry-auth']).toBeUndefined();
    }
  });

  it('masks sensitive keys and values before anything leaves the collector', () => {
    for (const receiver of [sentry, vendor]) {
      const info = receiver.logs.find(
        (record) => record.severityNumber === SEVERITY.INFO && !record.attributes['event.name'] && !record.eventName,
      );
      expect(info?.attributes).toMatchObject({
        password: '****',
        currentPassword: '****',
        'http.request.header.cookie': '****',
        // Harmless values stay as they were: amounts, epoch-ms timestamps, ids that look like card numbers.
        'drop.amount_cents': '1250',
        'drop.created_at_ms': '1764194400000',
        span_id: '4111111111111111',
      });
      expect(info?.body).toBe('transfer sent: card ****, see /api/x****&page=2');

      const health = receiver.spans.find((span) => span.name === 'GET /api/health');
      expect(health?.attributes['http.request.header.authorization']).toBe('****');
      expect(health?.attributes['http.route']).toBe('/api/health');
      const account = receiver.spans.find((span) => span.name === 'GET /api/account');
      expect(account?.attributes['x-csrf-token']).toBe('****');
    }
    for (const receiver of [sentry, alerts, vendor]) {
      const failed = receiver.logs.find((record) => record.body === 'transfer failed');
      expect(failed?.attributes).toEqual({ session: '****', 'error.type': 'DatabaseError' });
      const transfer = receiver.spans.find((span) => span.name === 'POST /api/transfers');
      expect(transfer?.attributes.cardNumber).toBe('****');
    }
    expect(vendor.metrics[0]?.dataPointAttributes).toEqual([{ api_key: '****' }]);
  });
});

describe('otel-collector.yaml without Sentry values (no extras.sentry.yaml, as the image runs it then)', () => {
  let alerts: OtlpReceiver;
  let vendor: OtlpReceiver;
  let collector: RunningCollector;

  beforeAll(async () => {
    [alerts, vendor] = [await startOtlpReceiver(), await startOtlpReceiver()];
    collector = await startCollector(['otel-collector.yaml', 'otel/collector/examples/extras.otlp-vendor.yaml'], {
      SENTRY_OTLP_TRACES_ENDPOINT: '',
      SENTRY_OTLP_LOGS_ENDPOINT: '',
      SENTRY_PUBLIC_KEY: '',
      ALERT_PROCESSOR_ENDPOINT: alerts.url,
      ALERTS_INTAKE_TOKEN,
      OTLP_VENDOR_ENDPOINT: vendor.url,
      OTLP_VENDOR_AUTHORIZATION: VENDOR_AUTHORIZATION,
    });
    await post(`${collector.otlpHttpUrl}/v1/logs`, logsRequest());
    await post(`${collector.otlpHttpUrl}/v1/traces`, tracesRequest());
    await waitFor('the vendor to receive 5 logs and 3 spans', () => vendor.logs.length >= 5 && vendor.spans.length >= 3, collector);
    await waitFor('the alert processor to receive 4 logs and 1 span', () => alerts.logs.length >= 4 && alerts.spans.length >= 1, collector);
  }, 20 * 60_000);

  afterAll(async () => {
    await collector?.stop();
    await Promise.all([alerts, vendor].map((receiver) => receiver?.close()));
  });

  it('starts healthy, with no Sentry exporter and no error in its log', async () => {
    expect((await fetch(collector.healthUrl)).status).toBe(200);
    expect(collector.output()).not.toMatch(/sentry/i);
    expect(collector.output()).not.toMatch(/"level":"error"|\terror\t/);
  });

  it('still sends the alert processor its alert-worthy data and the backend everything', () => {
    expect(logBodies(alerts)).toEqual(['GET /api/health 200', 'app started', 'app stopping', 'transfer failed']);
    expect(spanNames(vendor)).toEqual(['GET /api/account', 'GET /api/health', 'POST /api/transfers']);
    expect(vendor.rejected).toEqual([]);
  });
});
