import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BatchLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { parseTelemetryConfig } from './config';
import { DeferredExporter } from './deferred-exporter';
import { logRecordProcessors, spanProcessors } from './exporters';

const config = (env: Record<string, string>) =>
  parseTelemetryConfig({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_LOGS_EXPORTER: 'otlp', ...env }, '1.2.3');
// The batch processors keep their exporter in a field the SDK does not expose.
const exporterOf = (processor: unknown) => (processor as { _exporter: unknown })._exporter;

describe('exporters: EXPORT_SERIALIZATION picks where a batch is serialised', () => {
  it('deferred (the default): the OTLP exporters sit behind a DeferredExporter', async () => {
    const spans = spanProcessors(config({})).find((p) => p instanceof BatchSpanProcessor);
    const logs = logRecordProcessors(config({}))[0];
    expect(logs).toBeInstanceOf(BatchLogRecordProcessor);
    expect(exporterOf(spans)).toBeInstanceOf(DeferredExporter);
    expect(exporterOf(logs)).toBeInstanceOf(DeferredExporter);
    await Promise.all([spans!.shutdown(), logs!.shutdown()]);
  });

  it('inline: the batch processors hold the OTLP exporters themselves', async () => {
    const inline = config({ EXPORT_SERIALIZATION: 'inline' });
    const spans = spanProcessors(inline).find((p) => p instanceof BatchSpanProcessor);
    const logs = logRecordProcessors(inline)[0];
    expect(exporterOf(spans)).toBeInstanceOf(ProtoTraceExporter);
    expect(exporterOf(logs)).toBeInstanceOf(ProtoLogExporter);
    await Promise.all([spans!.shutdown(), logs!.shutdown()]);
  });
});
