import { describe, expect, it } from 'vitest';
import { parseTelemetryConfig } from './config';
import { logRecordProcessors, spanProcessors } from './exporters';
import { FreshFirstLogRecordProcessor, FreshFirstSpanProcessor } from './fresh-first-batch';
import { SlicedOtlpExporter } from './sliced-otlp-exporter';

const config = (env: Record<string, string>) =>
  parseTelemetryConfig({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_LOGS_EXPORTER: 'otlp', ...env }, '1.2.3');
const exporterOf = (processor: unknown) => (processor as { queue: { exporter: unknown } }).queue.exporter;

describe('exporters: fresh-first queues, each batch encoded in slices, one task each', () => {
  it('spans and logs go through FreshFirst processors whose OTLP exporters encode in slices', async () => {
    const spans = spanProcessors(config({})).find((p) => p instanceof FreshFirstSpanProcessor);
    const logs = logRecordProcessors(config({}))[0];
    expect(logs).toBeInstanceOf(FreshFirstLogRecordProcessor);
    expect(exporterOf(spans)).toBeInstanceOf(SlicedOtlpExporter);
    expect(exporterOf(logs)).toBeInstanceOf(SlicedOtlpExporter);
    await Promise.all([spans!.shutdown(), logs!.shutdown()]);
  });
});
