import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { OTLPExporterNodeConfigBase } from '@opentelemetry/otlp-exporter-base';
import { convertLegacyHttpOptions, createOtlpHttpExportDelegate } from '@opentelemetry/otlp-exporter-base/node-http';
import {
  JsonLogsSerializer,
  JsonTraceSerializer,
  LogsExporterMetricsHelper,
  ProtobufLogsSerializer,
  ProtobufTraceSerializer,
  TraceExporterMetricsHelper,
  type IExporterMetricsHelper,
  type ISerializer,
} from '@opentelemetry/otlp-transformer';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';

/** Items encoded per task: a few milliseconds of encoding at most, on a busy server's one main thread. */
export const ITEMS_PER_SLICE = 64;

type Protocol = 'http/protobuf' | 'http/json';

/** A batch already encoded, slice by slice: what the SDK's export delegate sends. */
interface EncodedBatch {
  bytes: Uint8Array;
  items: number;
}

/**
 * An OTLP/HTTP exporter that encodes each batch in slices, one task per slice, and sends the batch as one
 * request. The SDK's exporters encode a whole batch (512 spans or log records) in one go, inside the call that hands
 * it over: 10–50 ms on a loaded server during which no request is answered — the p99 tail measured in
 * docs/PERFORMANCE.md. Encoded protobuf messages concatenate: two ExportTraceServiceRequests back to back are one
 * request holding both lists of ResourceSpans, so each slice is encoded on its own and the bytes are joined (the
 * receiver sees the resource once per slice). The first slice waits for a task of its own too, so the call that
 * fills a batch (a span.end() or a log call inside a request) never pays for its encoding. JSON documents do not
 * concatenate: http/json batches are encoded in one slice (still in a task of their own).
 *
 * Everything else is the SDK's: the OTEL_EXPORTER_OTLP_* environment and constructor options
 * (convertLegacyHttpOptions), transport, retries with backoff, the concurrent-export limit, timeouts and the
 * partial-success handling (createOtlpHttpExportDelegate).
 */
export class SlicedOtlpExporter<T> {
  private readonly delegate;

  private readonly itemsPerSlice: number;
  /** Batches still being encoded: flush and shutdown wait for them before the SDK's delegate does its part. */
  private readonly encoding = new Set<Promise<void>>();

  constructor(
    private readonly serializer: ISerializer<T[], unknown>,
    metrics: IExporterMetricsHelper<T[]>,
    signal: 'TRACES' | 'LOGS',
    protocol: Protocol,
    config: OTLPExporterNodeConfigBase = {},
  ) {
    this.itemsPerSlice = protocol === 'http/protobuf' ? ITEMS_PER_SLICE : Infinity;
    const encoded: ISerializer<EncodedBatch, unknown> = {
      serializeRequest: (batch) => batch.bytes,
      deserializeResponse: (data) => serializer.deserializeResponse(data),
    };
    const counted: IExporterMetricsHelper<EncodedBatch> = { name: metrics.name, countItems: (batch) => batch.items };
    const path = signal === 'TRACES' ? 'v1/traces' : 'v1/logs';
    const contentType = protocol === 'http/protobuf' ? 'application/x-protobuf' : 'application/json';
    // The component type the SDK's own exporters report themselves as (its self-observability metrics).
    const componentType = signal === 'TRACES' ? 'otlp_http_span_exporter' : 'otlp_http_log_exporter';
    this.delegate = createOtlpHttpExportDelegate(
      convertLegacyHttpOptions(config, signal, path, { 'Content-Type': contentType }),
      encoded,
      componentType,
      counted,
      undefined,
    );
  }

  export(items: T[], resultCallback: (result: ExportResult) => void): void {
    const parts: Uint8Array[] = [];
    let next = 0;
    let handedOver: () => void = () => {};
    const encoded = new Promise<void>((resolve) => (handedOver = resolve));
    this.encoding.add(encoded);
    const finish = (send: () => void) => {
      this.encoding.delete(encoded);
      handedOver();
      send();
    };
    // setImmediate keeps the caller's async context, so the processor's suppressTracing still covers the send.
    const encodeSlice = () => {
      try {
        const part = this.serializer.serializeRequest(items.slice(next, next + this.itemsPerSlice));
        if (part) parts.push(part);
      } catch (error) {
        finish(() => resultCallback({ code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) }));
        return;
      }
      next += this.itemsPerSlice;
      if (next < items.length) setImmediate(encodeSlice);
      else finish(() => this.delegate.export({ bytes: joined(parts), items: items.length }, resultCallback));
    };
    setImmediate(encodeSlice);
  }

  async forceFlush(): Promise<void> {
    await Promise.all(this.encoding);
    await this.delegate.forceFlush();
  }

  async shutdown(): Promise<void> {
    await Promise.all(this.encoding);
    await this.delegate.shutdown();
  }
}

function joined(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

export const otlpTraceExporter = (protocol: Protocol, config?: OTLPExporterNodeConfigBase) =>
  new SlicedOtlpExporter<ReadableSpan>(
    protocol === 'http/protobuf' ? ProtobufTraceSerializer : JsonTraceSerializer,
    TraceExporterMetricsHelper,
    'TRACES',
    protocol,
    config,
  );

export const otlpLogExporter = (protocol: Protocol, config?: OTLPExporterNodeConfigBase) =>
  new SlicedOtlpExporter<ReadableLogRecord>(
    protocol === 'http/protobuf' ? ProtobufLogsSerializer : JsonLogsSerializer,
    LogsExporterMetricsHelper,
    'LOGS',
    protocol,
    config,
  );
