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

  it('the overhead levers: on by default, each undone by its variable, anything else warns and keeps the default', () => {
    expect(parse({})).toMatchObject({
      statementSpans: 'slow',
      statementSpanMs: 10,
      logRecordSource: 'object',
      exportSerialization: 'deferred',
    });
    expect(parse({ DB_STATEMENT_SPANS: 'ALL', LOG_RECORD_SOURCE: 'line', EXPORT_SERIALIZATION: 'inline' })).toMatchObject({
      statementSpans: 'all',
      logRecordSource: 'line',
      exportSerialization: 'inline',
    });
    const odd = parse({ LOG_RECORD_SOURCE: 'both', EXPORT_SERIALIZATION: 'later' });
    expect(odd).toMatchObject({ logRecordSource: 'object', exportSerialization: 'deferred' });
    expect(odd.warnings).toEqual([
      'LOG_RECORD_SOURCE="both" is not object or line; using object',
      'EXPORT_SERIALIZATION="later" is not deferred or inline; using deferred',
    ]);
  });
});
