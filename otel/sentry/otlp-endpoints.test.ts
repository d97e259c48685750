import { describe, expect, it } from 'vitest';
import { sentryOtlpOverrides } from './otlp-endpoints';

const traces = {
  url: 'https://o1.ingest.sentry.io/api/7/integration/otlp/v1/traces/',
  headers: { 'X-Sentry-Auth': 'Sentry sentry_version=7, sentry_key=abc' },
};

const none = { any: false, traces: false, logs: false };

describe('sentryOtlpOverrides', () => {
  it('sends traces and logs straight to Sentry when no OTLP endpoint is configured', () => {
    expect(sentryOtlpOverrides(traces, none)).toEqual({
      traces,
      logs: { url: 'https://o1.ingest.sentry.io/api/7/integration/otlp/v1/logs/', headers: traces.headers },
    });
  });

  it('leaves everything to the collector when OTEL_EXPORTER_OTLP_ENDPOINT is set', () => {
    expect(sentryOtlpOverrides(traces, { ...none, any: true })).toEqual({});
  });

  it('keeps a signal on its own endpoint variable', () => {
    const out = sentryOtlpOverrides(traces, { ...none, logs: true });
    expect(out.traces).toEqual(traces);
    expect(out.logs).toBeUndefined();
  });

  it('overrides nothing without a Sentry endpoint', () => {
    expect(sentryOtlpOverrides(undefined, none)).toEqual({});
  });
});
