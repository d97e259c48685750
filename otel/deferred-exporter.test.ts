import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { TracerProvider, BatchSpanProcessor, InMemorySpanExporter, type SpanExporter } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOtlpReceiver, type OtlpReceiver } from '../test/helpers/otlp-receiver';
import { DeferredExporter } from './deferred-exporter';

let receiver: OtlpReceiver;
beforeAll(async () => {
  receiver = await startOtlpReceiver();
});
afterAll(() => receiver.close());

function tracerExportingTo(exporter: SpanExporter, maxExportBatchSize = 4) {
  const provider = new TracerProvider({
    spanProcessors: [new BatchSpanProcessor({ exporter, maxExportBatchSize, scheduledDelayMillis: 60_000 })],
  });
  return { provider, tracer: provider.getTracer('deferred-exporter-test') };
}

const endSpans = (tracer: ReturnType<TracerProvider['getTracer']>, n: number, prefix = 'span') => {
  for (let i = 0; i < n; i++) tracer.startSpan(`${prefix}-${i}`).end();
};

describe('DeferredExporter', () => {
  it('the SDK alone exports inside the span.end() that fills a batch; deferred, the batch waits for the next task', async () => {
    const inline = new InMemorySpanExporter();
    endSpans(tracerExportingTo(inline).tracer, 4);
    expect(inline.getFinishedSpans()).toHaveLength(4);

    const inner = new InMemorySpanExporter();
    endSpans(tracerExportingTo(new DeferredExporter(inner)).tracer, 4);
    expect(inner.getFinishedSpans()).toHaveLength(0);
    await new Promise((r) => setImmediate(r));
    expect(inner.getFinishedSpans().map((s) => s.name)).toEqual(['span-0', 'span-1', 'span-2', 'span-3']);
  });

  it('loses nothing: full batches and the rest reach a real OTLP receiver by shutdown', async () => {
    const { provider, tracer } = tracerExportingTo(new DeferredExporter(new OTLPTraceExporter({ url: `${receiver.url}/v1/traces` })));
    endSpans(tracer, 10, 'shutdown');
    await provider.shutdown();
    expect(
      receiver.spans
        .filter((s) => s.name.startsWith('shutdown-'))
        .map((s) => s.name)
        .sort(),
    ).toEqual(Array.from({ length: 10 }, (_, i) => `shutdown-${i}`).sort());
    expect(receiver.rejected).toEqual([]);
  });
});
