/**
 * Environment parsing for the layer, in the style of vercel/otel: each function turns the standard variable
 * into one value with a safe default, and says (once, through the returned warnings) when a value is invalid.
 */

import { parseSentryServerConfig, parseTracesSampleRate, type SentryServerConfig } from './sentry/config';

export type OtlpProtocol = 'http/protobuf' | 'http/json';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const TRACES_SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;

export interface TracesSamplerSetting {
  name: (typeof TRACES_SAMPLERS)[number];
  /** The ratio of the traceidratio samplers, 0–1. */
  ratio: number;
}

export interface TelemetryConfig {
  disabled: boolean;
  serviceName: string;
  serviceVersion: string;
  environment: string;
  tracesExporter: 'otlp' | 'none';
  logsExporter: 'otlp' | 'none';
  metricsExporter: 'otlp' | 'none';
  protocol: OtlpProtocol;
  logLevel: LogLevel;
  prettyLogs: boolean;
  slowQueryMs: number;
  /**
   * SQLite statement spans: `slow` (default) records a span only for a statement slower than statementSpanMs (or
   * failing) and folds the others into their transaction's span, or the active span, as a count and total time;
   * `all` (DB_STATEMENT_SPANS=all) records one span per statement. PostgreSQL always records every statement.
   */
  statementSpans: 'slow' | 'all';
  /**
   * Where OTLP log records come from: `object` (default) builds them from the object pino writes
   * (otel/pino-log-records.ts); `line` (LOG_RECORD_SOURCE=line) lets @opentelemetry/instrumentation-pino parse
   * every written line back.
   */
  logRecordSource: 'object' | 'line';
  /**
   * `deferred` (default): a full batch is serialised and sent in a task of its own (otel/deferred-exporter.ts);
   * `inline` (EXPORT_SERIALIZATION=inline): inside the span.end() or log call that filled it, as the SDK does.
   */
  exportSerialization: 'deferred' | 'inline';
  statementSpanMs: number;
  shutdownTimeoutMs: number;
  /** Set when SENTRY_DSN is: error tracking (otel/sentry/) and, without a collector, traces and logs to Sentry. */
  sentry: SentryServerConfig | undefined;
  /**
   * OTEL_TRACES_SAMPLER(_ARG); else SENTRY_TRACES_SAMPLE_RATE as the ratio of parentbased_traceidratio; default
   * parentbased_always_on. An explicit OTEL_TRACES_SAMPLER always wins (with a warning when both are set).
   */
  tracesSampler: TracesSamplerSetting;
  /**
   * Record Next's per-request plumbing spans too (module lookup and loading, response start): TRACE_NEXT_INTERNAL_SPANS
   * or Next's own NEXT_OTEL_VERBOSE=1. Off by default: they are most of Next's spans and tell little.
   */
  nextInternalSpans: boolean;
  warnings: string[];
}

type Env = Record<string, string | undefined>;

function parseExporter(name: string, env: Env, fallback: 'otlp' | 'none', warnings: string[]): 'otlp' | 'none' {
  const raw = env[name]?.trim().toLowerCase();
  if (!raw) return fallback;
  const values = raw.split(',').map((v) => v.trim());
  if (values.includes('none')) return 'none';
  if (values.includes('otlp')) return 'otlp';
  warnings.push(`${name}="${raw}" is not supported (use otlp or none); using ${fallback}`);
  return fallback;
}

function parseProtocol(env: Env, warnings: string[]): OtlpProtocol {
  const raw = (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL)?.trim();
  if (!raw || raw === 'http/protobuf') return 'http/protobuf';
  if (raw === 'http/json') return 'http/json';
  warnings.push(`OTEL_EXPORTER_OTLP_PROTOCOL="${raw}" is not supported (use http/protobuf or http/json); using http/protobuf`);
  return 'http/protobuf';
}

function parseLogLevel(env: Env, warnings: string[]): LogLevel {
  const raw = env.LOG_LEVEL?.trim().toLowerCase();
  if (!raw) return 'info';
  if (raw === 'debug' || raw === 'info' || raw === 'warn' || raw === 'error') return raw;
  warnings.push(`LOG_LEVEL="${env.LOG_LEVEL}" is not one of debug, info, warn, error; using info`);
  return 'info';
}

function parsePositiveInt(name: string, env: Env, fallback: number, warnings: string[]): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (Number.isInteger(value) && value >= 0) return value;
  warnings.push(`${name}="${raw}" is not a non-negative integer; using ${fallback}`);
  return fallback;
}

function parseStatementSpans(env: Env, warnings: string[]): 'slow' | 'all' {
  const raw = env.DB_STATEMENT_SPANS?.trim().toLowerCase();
  if (!raw || raw === 'slow') return 'slow';
  if (raw === 'all') return 'all';
  warnings.push(`DB_STATEMENT_SPANS="${env.DB_STATEMENT_SPANS}" is not slow or all; using slow`);
  return 'slow';
}

function parseLogRecordSource(env: Env, warnings: string[]): 'object' | 'line' {
  const raw = env.LOG_RECORD_SOURCE?.trim().toLowerCase();
  if (!raw || raw === 'object') return 'object';
  if (raw === 'line') return 'line';
  warnings.push(`LOG_RECORD_SOURCE="${env.LOG_RECORD_SOURCE}" is not object or line; using object`);
  return 'object';
}

function parseExportSerialization(env: Env, warnings: string[]): 'deferred' | 'inline' {
  const raw = env.EXPORT_SERIALIZATION?.trim().toLowerCase();
  if (!raw || raw === 'deferred') return 'deferred';
  if (raw === 'inline') return 'inline';
  warnings.push(`EXPORT_SERIALIZATION="${env.EXPORT_SERIALIZATION}" is not deferred or inline; using deferred`);
  return 'deferred';
}

function parseTraceSampleRatio(env: Env, warnings: string[]): number | undefined {
  const ratio = parseTracesSampleRate(env, warnings);
  if (ratio === undefined) return undefined;
  if (env.OTEL_TRACES_SAMPLER?.trim()) {
    warnings.push('SENTRY_TRACES_SAMPLE_RATE is ignored: OTEL_TRACES_SAMPLER is set and wins');
    return undefined;
  }
  return ratio;
}

function parseTracesSampler(env: Env, sentryRatio: number | undefined, warnings: string[]): TracesSamplerSetting {
  const raw = env.OTEL_TRACES_SAMPLER?.trim().toLowerCase();
  if (!raw) {
    return sentryRatio === undefined
      ? { name: 'parentbased_always_on', ratio: 1 }
      : { name: 'parentbased_traceidratio', ratio: sentryRatio };
  }
  const name = TRACES_SAMPLERS.find((known) => known === raw);
  if (!name) {
    warnings.push(`OTEL_TRACES_SAMPLER="${raw}" is not supported (use one of ${TRACES_SAMPLERS.join(', ')}); using parentbased_always_on`);
    return { name: 'parentbased_always_on', ratio: 1 };
  }
  const arg = env.OTEL_TRACES_SAMPLER_ARG?.trim();
  if (!name.endsWith('traceidratio') || !arg) return { name, ratio: 1 };
  const ratio = Number(arg);
  if (Number.isFinite(ratio) && ratio >= 0 && ratio <= 1) return { name, ratio };
  warnings.push(`OTEL_TRACES_SAMPLER_ARG="${arg}" is not a ratio between 0 and 1; using 1`);
  return { name, ratio: 1 };
}

const truthy = (value: string | undefined) => ['true', '1', 'yes'].includes(value?.trim().toLowerCase() ?? '');

export function parseTelemetryConfig(env: Env, serviceVersion: string): TelemetryConfig {
  const warnings: string[] = [];
  const environment = env.NODE_ENV ?? 'development';
  const metricsConfigured = Boolean(env.OTEL_METRICS_EXPORTER?.trim());
  return {
    disabled: truthy(env.OTEL_SDK_DISABLED),
    serviceName: env.OTEL_SERVICE_NAME?.trim() || 'drop',
    serviceVersion,
    environment,
    tracesExporter: parseExporter('OTEL_TRACES_EXPORTER', env, 'otlp', warnings),
    logsExporter: parseExporter('OTEL_LOGS_EXPORTER', env, 'otlp', warnings),
    // Metrics only when asked for: Next's server emits none of its own and an unused reader costs CPU.
    metricsExporter: metricsConfigured ? parseExporter('OTEL_METRICS_EXPORTER', env, 'none', warnings) : 'none',
    protocol: parseProtocol(env, warnings),
    logLevel: parseLogLevel(env, warnings),
    prettyLogs: environment !== 'production' && env.LOG_FORMAT?.trim().toLowerCase() === 'pretty',
    slowQueryMs: parsePositiveInt('DB_SLOW_QUERY_MS', env, 200, warnings),
    statementSpans: parseStatementSpans(env, warnings),
    logRecordSource: parseLogRecordSource(env, warnings),
    exportSerialization: parseExportSerialization(env, warnings),
    statementSpanMs: parsePositiveInt('DB_STATEMENT_SPAN_MS', env, 10, warnings),
    shutdownTimeoutMs: parsePositiveInt('OTEL_SHUTDOWN_TIMEOUT_MS', env, 5_000, warnings),
    sentry: parseSentryServerConfig(env, serviceVersion, warnings),
    tracesSampler: parseTracesSampler(env, parseTraceSampleRatio(env, warnings), warnings),
    nextInternalSpans: truthy(env.TRACE_NEXT_INTERNAL_SPANS) || env.NEXT_OTEL_VERBOSE?.trim() === '1',
    warnings,
  };
}
