import { describe, expect, it } from 'vitest';
import { parseTelemetryConfig } from './config';

const parse = (env: Record<string, string>) => parseTelemetryConfig(env, '1.2.3');

describe('the layer config: every variable read once, here', () => {
  it('batch processor settings from OTEL_BSP_* / OTEL_BLRP_*, bounded by default', () => {
    expect(parse({}).spanBatch).toEqual({
      maxQueueSize: 2048,
      maxExportBatchSize: 512,
      scheduledDelayMillis: 5000,
      exportTimeoutMillis: 30000,
    });
    const config = parse({ OTEL_BSP_SCHEDULE_DELAY: '200', OTEL_BLRP_MAX_QUEUE_SIZE: '100', OTEL_BLRP_MAX_EXPORT_BATCH_SIZE: '500' });
    expect(config.spanBatch.scheduledDelayMillis).toBe(200);
    // The batch can never exceed the queue.
    expect(config.logBatch).toMatchObject({ maxQueueSize: 100, maxExportBatchSize: 100 });
  });

  it('an invalid number keeps the default and warns once, naming the variable', () => {
    const config = parse({ OTEL_BSP_SCHEDULE_DELAY: 'soon' });
    expect(config.spanBatch.scheduledDelayMillis).toBe(5000);
    expect(config.warnings).toEqual(['OTEL_BSP_SCHEDULE_DELAY="soon" is not a non-negative integer; using 5000']);
  });

  it('metric export timeout never above the interval', () => {
    expect(parse({}).metricExport).toEqual({ intervalMillis: 60000, timeoutMillis: 30000 });
    expect(parse({ OTEL_METRIC_EXPORT_INTERVAL: '1000' }).metricExport).toEqual({ intervalMillis: 1000, timeoutMillis: 1000 });
  });

  it('which OTLP endpoint variables are set (blank counts as unset)', () => {
    expect(parse({}).otlpEndpoints).toEqual({ any: false, traces: false, logs: false });
    expect(parse({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: ' ' }).otlpEndpoints).toEqual({
      any: true,
      traces: false,
      logs: false,
    });
  });

  it('LOG_FORMAT: json by default, pretty when asked (also in production), anything else warns', () => {
    expect(parse({}).prettyLogs).toBe(false);
    expect(parse({ LOG_FORMAT: 'pretty', NODE_ENV: 'production' }).prettyLogs).toBe(true);
    const odd = parse({ LOG_FORMAT: 'xml' });
    expect(odd.prettyLogs).toBe(false);
    expect(odd.warnings).toEqual(['LOG_FORMAT="xml" is not json or pretty; using json']);
  });

  it('DB_STATEMENT_SPANS: slow by default, all when asked', () => {
    expect(parse({})).toMatchObject({ statementSpans: 'slow', statementSpanMs: 10 });
    expect(parse({ DB_STATEMENT_SPANS: 'ALL' })).toMatchObject({ statementSpans: 'all' });
  });

  it('metrics: OTLP whenever an OTLP endpoint is set, unless OTEL_METRICS_EXPORTER=none', () => {
    expect(parse({}).metricsExporter).toBe('none');
    expect(parse({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).metricsExporter).toBe('otlp');
    expect(parse({ OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://collector:4318/v1/metrics' }).metricsExporter).toBe('otlp');
    expect(parse({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_METRICS_EXPORTER: 'none' }).metricsExporter).toBe('none');
    expect(parse({ OTEL_METRICS_EXPORTER: 'otlp' }).metricsExporter).toBe('otlp');
  });

  it('trace context trust: nobody by default; addresses, CIDR ranges and a secret of 16+ characters', () => {
    expect(parse({}).traceContextTrust).toEqual({ addresses: [], secret: undefined });
    const config = parse({
      TRACE_CONTEXT_TRUSTED_ADDRESSES: '10.0.0.0/8, 127.0.0.1,::1,proxy.internal,10.0.0.1/40',
      TRACE_CONTEXT_TRUST_SECRET: 'a-long-enough-shared-secret',
    });
    expect(config.traceContextTrust).toEqual({ addresses: ['10.0.0.0/8', '127.0.0.1', '::1'], secret: 'a-long-enough-shared-secret' });
    expect(config.warnings).toEqual([
      'TRACE_CONTEXT_TRUSTED_ADDRESSES: "proxy.internal", "10.0.0.1/40" is not an IP address or CIDR range; ignored',
    ]);
    const short = parse({ TRACE_CONTEXT_TRUST_SECRET: 'short' });
    expect(short.traceContextTrust.secret).toBeUndefined();
    expect(short.warnings).toHaveLength(1);
  });
});
