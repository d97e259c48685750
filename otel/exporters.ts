import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPMetricExporter as JsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { BatchLogRecordProcessor, type LogRecordProcessor } from '@opentelemetry/sdk-logs';
import { PeriodicExportingMetricReader, type IMetricReader } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace';
import type { TelemetryConfig } from './config';
import { RedactingSpanProcessor } from './redacting-span-processor';

// Bounded queues: with the backend down, memory stays flat and the oldest work is dropped, not the app.
const MAX_QUEUE_SIZE = 2048;
const MAX_EXPORT_BATCH_SIZE = 512;

/** Endpoints, headers and timeouts come from the standard OTEL_EXPORTER_OTLP_* variables, read by the exporters. */
export function spanProcessors(config: TelemetryConfig): SpanProcessor[] {
  if (config.tracesExporter === 'none') return [];
  const exporter = config.protocol === 'http/json' ? new JsonTraceExporter() : new ProtoTraceExporter();
  return [
    new RedactingSpanProcessor(),
    new BatchSpanProcessor({ exporter, maxQueueSize: MAX_QUEUE_SIZE, maxExportBatchSize: MAX_EXPORT_BATCH_SIZE }),
  ];
}

export function logRecordProcessors(config: TelemetryConfig): LogRecordProcessor[] {
  if (config.logsExporter === 'none') return [];
  const exporter = config.protocol === 'http/json' ? new JsonLogExporter() : new ProtoLogExporter();
  return [new BatchLogRecordProcessor({ exporter, maxQueueSize: MAX_QUEUE_SIZE, maxExportBatchSize: MAX_EXPORT_BATCH_SIZE })];
}

export function metricReaders(config: TelemetryConfig): IMetricReader[] {
  if (config.metricsExporter === 'none') return [];
  const exporter = config.protocol === 'http/json' ? new JsonMetricExporter() : new ProtoMetricExporter();
  return [new PeriodicExportingMetricReader({ exporter })];
}
