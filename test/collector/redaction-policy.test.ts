// The real collector (otel-collector.yaml, as docker-compose runs it) applies the app's redaction policy to telemetry
// that did not come through the app: OTLP sent straight to it — by another service, a script, an SDK without Drop's
// layer — with secret-named query parameters, `name=value` secrets in free text and sensitive attribute keys. What an
// operator's backend (extras.otlp-vendor.yaml) receives holds none of the secrets and every harmless text unchanged.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCollector, type RunningCollector } from '../helpers/collector-process';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver';
import { HARMLESS, SECRETS, SENSITIVE_AND_SAFE_KEYS } from '../helpers/redaction-corpus';
import { isSensitiveKey } from '../../otel/redact';

const str = (value: string) => ({ stringValue: value });
const attrs = (entries: Record<string, string>) => Object.entries(entries).map(([key, value]) => ({ key, value: str(value) }));
const nowNanos = () => (BigInt(Date.now()) * 1_000_000n).toString();
const resource = { attributes: attrs({ 'service.name': 'not-drop' }) };
const KEY_VALUE = 'Vk-attribute-value';

function logsRequest() {
  const time = nowNanos();
  const texts = [...SECRETS.map(([text]) => text), ...HARMLESS];
  return {
    resourceLogs: [
      {
        resource,
        scopeLogs: [
          {
            scope: { name: 'outside-the-app' },
            logRecords: [
              ...texts.map((text, i) => ({
                timeUnixNano: time,
                severityNumber: 9,
                body: str(text),
                attributes: attrs({ 'corpus.index': String(i), 'error.message': text }),
              })),
              {
                timeUnixNano: time,
                severityNumber: 9,
                body: str('sensitive keys'),
                attributes: attrs(Object.fromEntries(SENSITIVE_AND_SAFE_KEYS.map((key) => [key, KEY_VALUE]))),
              },
            ],
          },
        ],
      },
    ],
  };
}

function tracesRequest() {
  const time = nowNanos();
  return {
    resourceSpans: [
      {
        resource,
        scopeSpans: [
          {
            scope: { name: 'outside-the-app' },
            spans: SECRETS.map(([text], i) => ({
              traceId: '5b8efff798038103d269b633813fc60c',
              spanId: `eee19b7ec3c1${String(1000 + i)}`,
              name: `GET /cb ${i}`,
              kind: 2,
              startTimeUnixNano: time,
              endTimeUnixNano: time,
              attributes: attrs(
                text.startsWith('/') ? { 'url.full': `https://drop.example${text}`, 'url.path': text } : { 'exception.message': text },
              ),
            })),
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

describe('the collector’s redaction rules on OTLP sent from outside the app (real collector)', () => {
  let vendor: OtlpReceiver;
  let collector: RunningCollector;
  const logCount = SECRETS.length + HARMLESS.length + 1;

  beforeAll(async () => {
    vendor = await startOtlpReceiver();
    collector = await startCollector(['otel-collector.yaml', 'otel/collector/examples/extras.otlp-vendor.yaml'], {
      SENTRY_OTLP_TRACES_ENDPOINT: '',
      SENTRY_OTLP_LOGS_ENDPOINT: '',
      SENTRY_PUBLIC_KEY: '',
      ALERT_PROCESSOR_ENDPOINT: 'http://127.0.0.1:9',
      ALERTS_INTAKE_TOKEN: 'redaction-test-intake-token-0123',
      OTLP_VENDOR_ENDPOINT: vendor.url,
      OTLP_VENDOR_AUTHORIZATION: 'Bearer vendor',
    });
    await post(`${collector.otlpHttpUrl}/v1/logs`, logsRequest());
    await post(`${collector.otlpHttpUrl}/v1/traces`, tracesRequest());
    await vendor.waitFor(
      () => vendor.logs.length >= logCount && vendor.spans.length >= SECRETS.length,
      20_000,
      `${logCount} logs and ${SECRETS.length} spans at the backend`,
    );
  }, 20 * 60_000); // a cold collector build takes minutes; `.ci/run` builds it before the tests

  afterAll(async () => {
    await collector?.stop();
    await vendor?.close();
  });

  it('lets no secret through, in log bodies, log attributes or span attributes', () => {
    expect(vendor.rejected).toEqual([]);
    const received = Buffer.concat(vendor.rawBodies).toString('latin1');
    const leaked = SECRETS.map(([, secret]) => secret).filter((secret) => received.includes(secret));
    expect(leaked).toEqual([]);
    for (const [text] of SECRETS) {
      const record = vendor.logs.find((r) => r.attributes['corpus.index'] === String(SECRETS.findIndex(([t]) => t === text)));
      expect(record?.body, text).toContain('****');
    }
  });

  it('leaves harmless text as it was', () => {
    const bodies = vendor.logs.map((r) => r.body);
    for (const text of HARMLESS) expect(bodies).toContain(text);
  });

  it('masks the values of sensitive keys as the app does, and no other', () => {
    const record = vendor.logs.find((r) => r.body === 'sensitive keys');
    const masked = Object.entries(record?.attributes ?? {})
      .filter(([, value]) => value === '****')
      .map(([key]) => key);
    expect(masked.sort()).toEqual(SENSITIVE_AND_SAFE_KEYS.filter(isSensitiveKey).sort());
  });
});
