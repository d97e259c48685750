import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { ProtobufTraceSerializer, TraceExporterMetricsHelper } from '@opentelemetry/otlp-transformer';
import { LoggerProvider, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { BatchSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOtlpReceiver, type OtlpReceiver } from '../test/helpers/otlp-receiver';
import { freePort } from '../scripts/free-port.mjs';
import { ITEMS_PER_SLICE, otlpLogExporter, otlpTraceExporter, SlicedOtlpExporter } from './sliced-otlp-exporter';

let receiver: OtlpReceiver;
beforeAll(async () => {
  receiver = await startOtlpReceiver();
});
afterAll(() => receiver.close());

/** Spans ended through a batch processor that exports every `batch` spans (and never on a timer). */
function endSpans(exporter: SlicedOtlpExporter<ReadableSpan>, n: number, prefix: string, batch = n) {
  const provider = new TracerProvider({
    spanProcessors: [
      new BatchSpanProcessor({ exporter, maxExportBatchSize: batch, maxQueueSize: Math.max(batch, n), scheduledDelayMillis: 60_000 }),
    ],
  });
  const tracer = provider.getTracer('sliced-otlp-exporter-test');
  for (let i = 0; i < n; i++) tracer.startSpan(`${prefix}-${i}`, { attributes: { i } }).end();
  return provider;
}

const exported = (exporter: SlicedOtlpExporter<ReadableSpan>, spans: ReadableSpan[]) =>
  new Promise<ExportResult>((resolve) => exporter.export(spans, resolve));

describe('SlicedOtlpExporter', () => {
  it('sends a batch of several slices as one request the receiver reads whole, in order', async () => {
    const n = ITEMS_PER_SLICE * 3 + 5;
    const provider = endSpans(otlpTraceExporter('http/protobuf', { url: `${receiver.url}/v1/traces` }), n, 'whole');
    await provider.shutdown();
    const names = receiver.spans.filter((s) => s.name.startsWith('whole-')).map((s) => s.name);
    expect(names).toEqual(Array.from({ length: n }, (_, i) => `whole-${i}`));
    expect(receiver.requests.filter((r) => r.signal === 'traces')).toHaveLength(1);
    expect(receiver.rejected).toEqual([]);
  });

  it('encodes one slice per task, so other work runs between the slices of a batch', async () => {
    const order: string[] = [];
    const counting = {
      serializeRequest: (spans: ReadableSpan[]) => {
        order.push(`slice of ${spans.length}`);
        return ProtobufTraceSerializer.serializeRequest(spans);
      },
      deserializeResponse: ProtobufTraceSerializer.deserializeResponse,
    };
    const exporter = new SlicedOtlpExporter(counting, TraceExporterMetricsHelper, 'TRACES', 'http/protobuf', {
      url: `${receiver.url}/v1/traces`,
    });
    const spans: ReadableSpan[] = [];
    const provider = new TracerProvider({
      spanProcessors: [{ onStart: () => {}, onEnd: (s) => spans.push(s), forceFlush: async () => {}, shutdown: async () => {} }],
    });
    for (let i = 0; i < ITEMS_PER_SLICE * 2 + 1; i++) provider.getTracer('t').startSpan(`interleaved-${i}`).end();

    let ticking = true;
    const tick = () => {
      order.push('other task');
      if (ticking) setImmediate(tick);
    };
    const result = exported(exporter, spans);
    // The call that hands the batch over encodes nothing.
    expect(order).toEqual([]);
    setImmediate(tick);
    expect((await result).code).toBe(ExportResultCode.SUCCESS);
    ticking = false;
    const slices = order.filter((entry) => entry.startsWith('slice'));
    expect(slices).toEqual([`slice of ${ITEMS_PER_SLICE}`, `slice of ${ITEMS_PER_SLICE}`, 'slice of 1']);
    // Between two slices, at least one other task ran.
    const between = order.slice(order.indexOf(slices[0]!) + 1, order.lastIndexOf(slices[2]!));
    expect(between.filter((entry) => entry === 'other task').length).toBeGreaterThanOrEqual(2);
    await exporter.shutdown();
  });

  it('http/json: one slice, the whole batch in one JSON request', async () => {
    const n = ITEMS_PER_SLICE + 10;
    const provider = endSpans(otlpTraceExporter('http/json', { url: `${receiver.url}/v1/traces` }), n, 'json');
    await provider.shutdown();
    expect(receiver.spans.filter((s) => s.name.startsWith('json-'))).toHaveLength(n);
    expect(receiver.requests.filter((r) => r.contentType === 'application/json')).toHaveLength(1);
  });

  it('log records, sliced the same way', async () => {
    const records: ReadableLogRecord[] = [];
    const provider = new LoggerProvider({
      processors: [{ onEmit: (record) => records.push(record), forceFlush: async () => {}, shutdown: async () => {} }],
    });
    const logger = provider.getLogger('sliced-otlp-exporter-test');
    for (let i = 0; i < ITEMS_PER_SLICE + 3; i++) logger.emit({ body: `record-${i}` });
    const exporter = otlpLogExporter('http/protobuf', { url: `${receiver.url}/v1/logs` });
    const result = await new Promise<ExportResult>((resolve) => exporter.export(records, resolve));
    expect(result.code).toBe(ExportResultCode.SUCCESS);
    expect(receiver.logs.filter((r) => String(r.body).startsWith('record-')).map((r) => r.body)).toEqual(
      Array.from({ length: ITEMS_PER_SLICE + 3 }, (_, i) => `record-${i}`),
    );
    await exporter.shutdown();
  });

  it('a receiver that is not there: the export fails (the queue keeps the batch), nothing is thrown', async () => {
    const port = await freePort();
    const exporter = otlpTraceExporter('http/protobuf', { url: `http://127.0.0.1:${port}/v1/traces`, timeoutMillis: 2_000 });
    const spans: ReadableSpan[] = [];
    const provider = new TracerProvider({
      spanProcessors: [{ onStart: () => {}, onEnd: (s) => spans.push(s), forceFlush: async () => {}, shutdown: async () => {} }],
    });
    provider.getTracer('t').startSpan('nobody-listens').end();
    const result = await exported(exporter, spans);
    expect(result.code).toBe(ExportResultCode.FAILED);
    expect(result.error?.message).toMatch(/ECONNREFUSED|connect/i);
    await exporter.shutdown();
  });
});
