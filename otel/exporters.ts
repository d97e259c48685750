import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPMetricExporter as JsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import type { LogRecordProcessor } from '@opentelemetry/sdk-logs';
import { PeriodicExportingMetricReader, type IMetricReader } from '@opentelemetry/sdk-metrics';
import type { SpanProcessor } from '@opentelemetry/sdk-trace';
import type { TelemetryConfig } from './config';
import { CountingMetricExporter, DroppedTelemetry } from './dropped-telemetry';
import { FreshFirstLogRecordProcessor, FreshFirstSpanProcessor } from './fresh-first-batch';
import { RedactingSpanProcessor } from './redacting-span-processor';
import { ServerSpanProcessor } from './http/server-span-processor';
import { otlpLogExporter, otlpTraceExporter } from './sliced-otlp-exporter';
import type { OtlpEndpointOverrides } from './sentry/otlp-endpoints';

const droppedKey = Symbol.for('drop.droppedTelemetry');
type GlobalWithDropped = typeof globalThis & { [droppedKey]?: DroppedTelemetry };

/** The process's one count of what could not be delivered (reported by register() once per interval). */
export function droppedTelemetry(): DroppedTelemetry {
  const g = globalThis as GlobalWithDropped;
  g[droppedKey] ??= new DroppedTelemetry();
  return g[droppedKey];
}

/**
 * Endpoints, headers and timeouts come from the standard OTEL_EXPORTER_OTLP_* variables, read by the exporters,
 * unless `endpoints` names a signal's URL and headers (Sentry's OTLP ingest when there is no collector).
 * Never empty: with traces not exported (OTEL_TRACES_EXPORTER=none) NodeSDK would register no tracer provider,
 * and requests would lose their trace id — the request id of logs, responses and audit rows.
 */
export function spanProcessors(config: TelemetryConfig, endpoints: OtlpEndpointOverrides = {}): SpanProcessor[] {
  const processors: SpanProcessor[] = [new ServerSpanProcessor(), new RedactingSpanProcessor()];
  if (config.tracesExporter === 'none') return processors;
  const exporter = otlpTraceExporter(config.protocol, endpoints.traces);
  processors.push(new FreshFirstSpanProcessor(exporter, config.spanBatch, droppedTelemetry()));
  return processors;
}

export function logRecordProcessors(config: TelemetryConfig, endpoints: OtlpEndpointOverrides = {}): LogRecordProcessor[] {
  if (config.logsExporter === 'none') return [];
  const exporter = otlpLogExporter(config.protocol, endpoints.logs);
  return [new FreshFirstLogRecordProcessor(exporter, config.logBatch, droppedTelemetry())];
}

export function metricReaders(config: TelemetryConfig): IMetricReader[] {
  if (config.metricsExporter === 'none') return [];
  const otlp = config.protocol === 'http/json' ? new JsonMetricExporter() : new ProtoMetricExporter();
  const exporter = new CountingMetricExporter(otlp, droppedTelemetry());
  // The reader does not read these itself (NodeSDK only does for readers it builds).
  const { intervalMillis, timeoutMillis } = config.metricExport;
  return [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: intervalMillis, exportTimeoutMillis: timeoutMillis })];
}
