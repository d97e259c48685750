/**
 * Environment parsing for the layer, in the style of vercel/otel: each function turns the standard variable
 * into one value with a safe default, and says (once, through the returned warnings) when a value is invalid.
 */

import {
  parseSentryBrowserConfig,
  parseSentryServerConfig,
  parseTracesSampleRate,
  type SentryBrowserConfig,
  type SentryServerConfig,
} from './sentry/config';
import type { OtlpEndpointsConfigured } from './sentry/otlp-endpoints';
import { invalidTrustedAddresses, type TraceContextTrust } from './http/trusted-propagator';
import { parsePropagators, type PropagatorName } from './propagators';

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

/** A batch processor's settings (OTEL_BSP_* for spans, OTEL_BLRP_* for log records). */
export interface BatchSettings {
  maxQueueSize: number;
  maxExportBatchSize: number;
  scheduledDelayMillis: number;
  exportTimeoutMillis: number;
}

export interface TelemetryConfig {
  disabled: boolean;
  serviceName: string;
  serviceVersion: string;
  environment: string;
  tracesExporter: 'otlp' | 'none';
  logsExporter: 'otlp' | 'none';
  /** OTLP when an OTLP endpoint is configured (OTEL_EXPORTER_OTLP_ENDPOINT or …_METRICS_ENDPOINT), unless OTEL_METRICS_EXPORTER=none. */
  metricsExporter: 'otlp' | 'none';
  /** Whose incoming traceparent is honoured (otel/http/trusted-propagator.ts); nobody's by default. */
  traceContextTrust: TraceContextTrust;
  /** OTEL_PROPAGATORS (otel/propagators.ts): the trace context formats read and written, default tracecontext,baggage. */
  propagators: PropagatorName[];
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
  statementSpanMs: number;
  shutdownTimeoutMs: number;
  /** TELEMETRY_DROPPED_REPORT_MS: how often dropped telemetry is reported (one `otel.dropped` line), default 60 s. */
  droppedReportMs: number;
  /** Set when SENTRY_DSN is: error tracking (otel/sentry/) and, without a collector, traces and logs to Sentry. */
  sentry: SentryServerConfig | undefined;
  /**
   * Set when NEXT_PUBLIC_SENTRY_DSN is: what the browser's monitoring gets from GET /api/client-config, its
   * tracesSampleRate the ratio the server samples new traces at (samplingRatio), so both agree.
   */
  browserSentry: SentryBrowserConfig | undefined;
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
  spanBatch: BatchSettings;
  logBatch: BatchSettings;
  /** OTEL_METRIC_EXPORT_INTERVAL / _TIMEOUT (the timeout never above the interval). */
  metricExport: { intervalMillis: number; timeoutMillis: number };
  otlpEndpoints: OtlpEndpointsConfigured;
  warnings: string[];
}

// Bounded queues: with the backend down, memory stays flat and new work is dropped, not the app.
const MAX_QUEUE_SIZE = 2048;
const MAX_EXPORT_BATCH_SIZE = 512;

/**
 * NodeSDK reads OTEL_BSP_* / OTEL_BLRP_* only for processors it builds itself, and the processors read none, so the
 * layer does it.
 */
function parseBatch(prefix: 'OTEL_BSP' | 'OTEL_BLRP', env: Env, warnings: string[]): BatchSettings {
  const maxQueueSize = parsePositiveInt(`${prefix}_MAX_QUEUE_SIZE`, env, MAX_QUEUE_SIZE, warnings);
  return {
    maxQueueSize,
    maxExportBatchSize: Math.min(parsePositiveInt(`${prefix}_MAX_EXPORT_BATCH_SIZE`, env, MAX_EXPORT_BATCH_SIZE, warnings), maxQueueSize),
    scheduledDelayMillis: parsePositiveInt(`${prefix}_SCHEDULE_DELAY`, env, 5_000, warnings),
    exportTimeoutMillis: parsePositiveInt(`${prefix}_EXPORT_TIMEOUT`, env, 30_000, warnings),
  };
}

function parseMetricExport(env: Env, warnings: string[]): TelemetryConfig['metricExport'] {
  const intervalMillis = parsePositiveInt('OTEL_METRIC_EXPORT_INTERVAL', env, 60_000, warnings);
  return { intervalMillis, timeoutMillis: Math.min(parsePositiveInt('OTEL_METRIC_EXPORT_TIMEOUT', env, 30_000, warnings), intervalMillis) };
}

const configured = (env: Env, name: string) => Boolean(env[name]?.trim());

/** The share of new traces the server samples: what the browser, the head of page-triggered traces, must use too. */
export function samplingRatio(sampler: TracesSamplerSetting): number {
  if (sampler.name === 'always_off' || sampler.name === 'parentbased_always_off') return 0;
  if (sampler.name === 'traceidratio' || sampler.name === 'parentbased_traceidratio') return sampler.ratio;
  return 1;
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

function parseTraceContextTrust(env: Env, warnings: string[]): TraceContextTrust {
  const entries = (env.TRACE_CONTEXT_TRUSTED_ADDRESSES ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  const invalid = invalidTrustedAddresses(entries);
  if (invalid.length > 0) {
    warnings.push(
      `TRACE_CONTEXT_TRUSTED_ADDRESSES: ${invalid.map((e) => `"${e}"`).join(', ')} is not an IP address or CIDR range; ignored`,
    );
  }
  const secret = env.TRACE_CONTEXT_TRUST_SECRET?.trim() || undefined;
  if (secret && secret.length < 16) {
    warnings.push('TRACE_CONTEXT_TRUST_SECRET is shorter than 16 characters; ignored (no caller is trusted by secret)');
  }
  return { addresses: entries.filter((e) => !invalid.includes(e)), secret: secret && secret.length >= 16 ? secret : undefined };
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

function parseLogFormat(env: Env, warnings: string[]): 'json' | 'pretty' {
  const raw = env.LOG_FORMAT?.trim().toLowerCase();
  if (!raw || raw === 'json') return 'json';
  if (raw === 'pretty') return 'pretty';
  warnings.push(`LOG_FORMAT="${raw}" is not json or pretty; using json`);
  return 'json';
}

const truthy = (value: string | undefined) => ['true', '1', 'yes'].includes(value?.trim().toLowerCase() ?? '');

/** `defaultServiceName`: the service's name when OTEL_SERVICE_NAME is not set (the alert processor is not the app). */
export function parseTelemetryConfig(env: Env, serviceVersion: string, defaultServiceName = 'drop'): TelemetryConfig {
  const warnings: string[] = [];
  const environment = env.NODE_ENV ?? 'development';
  const endpointConfigured = configured(env, 'OTEL_EXPORTER_OTLP_ENDPOINT') || configured(env, 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT');
  const tracesSampler = parseTracesSampler(env, parseTraceSampleRatio(env, warnings), warnings);
  return {
    disabled: truthy(env.OTEL_SDK_DISABLED),
    serviceName: env.OTEL_SERVICE_NAME?.trim() || defaultServiceName,
    serviceVersion,
    environment,
    tracesExporter: parseExporter('OTEL_TRACES_EXPORTER', env, 'otlp', warnings),
    logsExporter: parseExporter('OTEL_LOGS_EXPORTER', env, 'otlp', warnings),
    // On wherever OTLP goes somewhere: an operator who set an endpoint expects metrics there too.
    metricsExporter: parseExporter('OTEL_METRICS_EXPORTER', env, endpointConfigured ? 'otlp' : 'none', warnings),
    traceContextTrust: parseTraceContextTrust(env, warnings),
    propagators: parsePropagators(env.OTEL_PROPAGATORS, warnings),
    protocol: parseProtocol(env, warnings),
    logLevel: parseLogLevel(env, warnings),
    prettyLogs: parseLogFormat(env, warnings) === 'pretty',
    slowQueryMs: parsePositiveInt('DB_SLOW_QUERY_MS', env, 200, warnings),
    statementSpans: parseStatementSpans(env, warnings),
    statementSpanMs: parsePositiveInt('DB_STATEMENT_SPAN_MS', env, 10, warnings),
    shutdownTimeoutMs: parsePositiveInt('OTEL_SHUTDOWN_TIMEOUT_MS', env, 5_000, warnings),
    droppedReportMs: Math.max(1, parsePositiveInt('TELEMETRY_DROPPED_REPORT_MS', env, 60_000, warnings)),
    sentry: parseSentryServerConfig(env, serviceVersion, warnings),
    tracesSampler,
    browserSentry: parseSentryBrowserConfig(env, serviceVersion, samplingRatio(tracesSampler), warnings),
    nextInternalSpans: truthy(env.TRACE_NEXT_INTERNAL_SPANS) || env.NEXT_OTEL_VERBOSE?.trim() === '1',
    spanBatch: parseBatch('OTEL_BSP', env, warnings),
    logBatch: parseBatch('OTEL_BLRP', env, warnings),
    metricExport: parseMetricExport(env, warnings),
    otlpEndpoints: {
      any: configured(env, 'OTEL_EXPORTER_OTLP_ENDPOINT'),
      traces: configured(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'),
      logs: configured(env, 'OTEL_EXPORTER_OTLP_LOGS_ENDPOINT'),
    },
    warnings,
  };
}
