import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPMetricExporter as JsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { getNumberFromEnv } from '@opentelemetry/core';
import { BatchLogRecordProcessor, type LogRecordProcessor } from '@opentelemetry/sdk-logs';
import { PeriodicExportingMetricReader, type IMetricReader } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace';
import type { TelemetryConfig } from './config';
import { DeferredExporter } from './deferred-exporter';
import { RedactingSpanProcessor } from './redacting-span-processor';
import type { OtlpEndpointOverrides } from './sentry/otlp-endpoints';

// Bounded queues: with the backend down, memory stays flat and new work is dropped, not the app.
const MAX_QUEUE_SIZE = 2048;
const MAX_EXPORT_BATCH_SIZE = 512;

/**
 * Batch processor settings from OTEL_BSP_* / OTEL_BLRP_*: NodeSDK reads these only for processors it builds
 * itself, and the processors read none, so the layer does it.
 */
function batchOptions(prefix: 'OTEL_BSP' | 'OTEL_BLRP') {
  const maxQueueSize = getNumberFromEnv(`${prefix}_MAX_QUEUE_SIZE`) ?? MAX_QUEUE_SIZE;
  return {
    maxQueueSize,
    maxExportBatchSize: Math.min(getNumberFromEnv(`${prefix}_MAX_EXPORT_BATCH_SIZE`) ?? MAX_EXPORT_BATCH_SIZE, maxQueueSize),
    scheduledDelayMillis: getNumberFromEnv(`${prefix}_SCHEDULE_DELAY`) ?? 5_000,
    exportTimeoutMillis: getNumberFromEnv(`${prefix}_EXPORT_TIMEOUT`) ?? 30_000,
  };
}

/**
 * Endpoints, headers and timeouts come from the standard OTEL_EXPORTER_OTLP_* variables, read by the exporters,
 * unless `endpoints` names a signal's URL and headers (Sentry's OTLP ingest when there is no collector).
 * Never empty: with traces not exported (OTEL_TRACES_EXPORTER=none) NodeSDK would register no tracer provider,
 * and requests would lose their trace id — the request id of logs, responses and audit rows.
 */
export function spanProcessors(config: TelemetryConfig, endpoints: OtlpEndpointOverrides = {}): SpanProcessor[] {
  const processors: SpanProcessor[] = [new RedactingSpanProcessor()];
  if (config.tracesExporter === 'none') return processors;
  const target = endpoints.traces;
  const otlp = config.protocol === 'http/json' ? new JsonTraceExporter(target) : new ProtoTraceExporter(target);
  const exporter = config.exportSerialization === 'deferred' ? new DeferredExporter(otlp) : otlp;
  processors.push(new BatchSpanProcessor({ exporter, ...batchOptions('OTEL_BSP') }));
  return processors;
}

export function logRecordProcessors(config: TelemetryConfig, endpoints: OtlpEndpointOverrides = {}): LogRecordProcessor[] {
  if (config.logsExporter === 'none') return [];
  const target = endpoints.logs;
  const otlp = config.protocol === 'http/json' ? new JsonLogExporter(target) : new ProtoLogExporter(target);
  const exporter = config.exportSerialization === 'deferred' ? new DeferredExporter(otlp) : otlp;
  return [new BatchLogRecordProcessor({ exporter, ...batchOptions('OTEL_BLRP') })];
}

export function metricReaders(config: TelemetryConfig): IMetricReader[] {
  if (config.metricsExporter === 'none') return [];
  const exporter = config.protocol === 'http/json' ? new JsonMetricExporter() : new ProtoMetricExporter();
  // The reader does not read these itself (NodeSDK only does for readers it builds); timeout <= interval.
  const exportIntervalMillis = getNumberFromEnv('OTEL_METRIC_EXPORT_INTERVAL') ?? 60_000;
  const exportTimeoutMillis = Math.min(getNumberFromEnv('OTEL_METRIC_EXPORT_TIMEOUT') ?? 30_000, exportIntervalMillis);
  return [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis, exportTimeoutMillis })];
}
