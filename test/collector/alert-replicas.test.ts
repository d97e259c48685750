// The real collector with otel/collector/examples/extras.alert-replicas.yaml merged, as an operator runs 2–3
// alert processor replicas: each replica (a fake OTLP/HTTP server) gets the same alert-worthy telemetry, and
// only that.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCollector, type RunningCollector } from '../helpers/collector-process';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver';

const str = (value: string) => ({ stringValue: value });
const nowNanos = () => (BigInt(Date.now()) * 1_000_000n).toString();
const resource = { attributes: [{ key: 'service.name', value: str('drop') }] };

const logs = () => ({
  resourceLogs: [
    {
      resource,
      scopeLogs: [
        {
          scope: { name: 'alert-replicas-test' },
          logRecords: [
            { timeUnixNano: nowNanos(), severityNumber: 17, severityText: 'ERROR', body: str('transfer failed') },
            { timeUnixNano: nowNanos(), severityNumber: 9, severityText: 'INFO', body: str('transfer sent') },
            { timeUnixNano: nowNanos(), severityNumber: 9, severityText: 'INFO', body: str('app started'), eventName: 'app.started' },
          ],
        },
      ],
    },
  ],
});

const traces = () => ({
  resourceSpans: [
    {
      resource,
      scopeSpans: [
        {
          scope: { name: 'alert-replicas-test' },
          spans: ['POST /api/transfers', 'GET /api/account'].map((name, i) => ({
            traceId: '5b8efff798038103d269b633813fc60c',
            spanId: `eee19b7ec3c1b17${i}`,
            name,
            kind: 2,
            startTimeUnixNano: nowNanos(),
            endTimeUnixNano: nowNanos(),
            status: { code: i === 0 ? 2 : 1 },
          })),
        },
      ],
    },
  ],
});

async function post(url: string, body: unknown): Promise<void> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`${url}: ${response.status} ${await response.text()}`);
}

describe('extras.alert-replicas.yaml (real collector): three alert processor replicas', () => {
  let replicas: OtlpReceiver[] = [];
  let sentry: OtlpReceiver;
  let collector: RunningCollector;

  beforeAll(async () => {
    replicas = [await startOtlpReceiver(), await startOtlpReceiver(), await startOtlpReceiver()];
    sentry = await startOtlpReceiver();
    collector = await startCollector(
      ['otel-collector.yaml', 'otel/collector/examples/extras.alert-replicas.yaml', 'otel/collector/examples/extras.sentry.yaml'],
      {
        SENTRY_OTLP_TRACES_ENDPOINT: `${sentry.url}/api/1/integration/otlp/v1/traces`,
        SENTRY_OTLP_LOGS_ENDPOINT: `${sentry.url}/api/1/integration/otlp/v1/logs`,
        SENTRY_PUBLIC_KEY: '0123456789abcdef0123456789abcdef',
        ALERT_PROCESSOR_ENDPOINT: replicas[0]!.url,
        ALERT_PROCESSOR_B_ENDPOINT: replicas[1]!.url,
        ALERT_PROCESSOR_C_ENDPOINT: replicas[2]!.url,
        ALERTS_INTAKE_TOKEN: 'replicas-test-intake-token-0123',
      },
    );
    await post(`${collector.otlpHttpUrl}/v1/logs`, logs());
    await post(`${collector.otlpHttpUrl}/v1/traces`, traces());
    // Sentry batches for up to 1 s, the alert exporters for 200 ms: once Sentry has everything, so do they.
    await sentry.waitFor(() => sentry.logs.length >= 3 && sentry.spans.length >= 2, 20_000, 'Sentry to get everything');
    for (const replica of replicas) await replica.waitFor(() => replica.logs.length >= 2 && replica.spans.length >= 1, 10_000, 'a replica');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }, 20 * 60_000); // a cold collector build takes minutes; `.ci/run` builds it before the tests

  afterAll(async () => {
    await collector?.stop();
    await Promise.all([...replicas, sentry].map((receiver) => receiver?.close()));
  });

  it('every replica gets the same error logs, lifecycle events and error spans, once, and nothing else', () => {
    for (const replica of replicas) {
      expect(replica.rejected).toEqual([]);
      expect(replica.logs.map((record) => record.body).sort()).toEqual(['app started', 'transfer failed']);
      expect(replica.spans.map((span) => span.name)).toEqual(['POST /api/transfers']);
      expect(replica.requests.every((request) => request.contentType === 'application/x-protobuf')).toBe(true);
      // Each replica is sent the intake's shared secret.
      expect(replica.requests.map((request) => request.headers.authorization)).toEqual(
        replica.requests.map(() => 'Bearer replicas-test-intake-token-0123'),
      );
    }
  });
});
