import { diag } from '@opentelemetry/api';
import { PinoInstrumentation } from '@opentelemetry/instrumentation-pino';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { defaultResource, envDetector, hostDetector, processDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { ATTR_DEPLOYMENT_ENVIRONMENT_NAME, ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { TelemetryConfig } from './config';
import { LOG_TRACE_KEYS } from './correlation';
import { logRecordProcessors, metricReaders, spanProcessors } from './exporters';
import { tracesSampler } from './sampler';
import type { OtlpEndpointOverrides } from './sentry/otlp-endpoints';

export interface Telemetry {
  /** Exports what is buffered and stops the providers; resolves within `timeoutMs` whatever the backend does. */
  shutdown(timeoutMs: number): Promise<void>;
}

/**
 * The instrumentations Drop needs, chosen one by one (no auto-instrumentations bundle):
 * - pino: trace_id/span_id on every log line; with LOG_RECORD_SOURCE=line also the same records over OTLP, parsed
 *   back from each line (by default otel/logger.ts emits them from pino's object instead);
 * - undici: spans and traceparent for outgoing fetch() calls (through diagnostics channels, no require hook).
 * No http: Next makes the server span, and Drop's outgoing calls use fetch; the http instrumentation would only
 * trace the exporters' and Sentry's own requests (which suppress it) and keep a require hook busy.
 * No pg instrumentation: the Kysely layer (otel/db) makes one span per query for both SQLite and PostgreSQL,
 * and a second span per query from the driver would double them. No fs: noise.
 */
function instrumentations(config: TelemetryConfig) {
  // With logs not exported, the stream that turns each line back into a log record would feed nothing; with
  // records built from pino's object (otel/pino-log-records.ts), it would send each record twice.
  const lineRecords = config.logsExporter === 'otlp' && config.logRecordSource === 'line';
  return [new PinoInstrumentation({ disableLogSending: !lineRecords, logKeys: LOG_TRACE_KEYS }), new UndiciInstrumentation()];
}

export function startTelemetry(config: TelemetryConfig, endpoints: OtlpEndpointOverrides = {}): Telemetry | undefined {
  if (config.disabled) return undefined;
  // Defaults first; OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (envDetector) win over them.
  const resource = defaultResource().merge(
    resourceFromAttributes({
      [ATTR_SERVICE_NAME]: config.serviceName,
      [ATTR_SERVICE_VERSION]: config.serviceVersion,
      [ATTR_DEPLOYMENT_ENVIRONMENT_NAME]: config.environment,
    }),
  );

  const sdk = new NodeSDK({
    resource,
    resourceDetectors: [processDetector, hostDetector, envDetector],
    sampler: tracesSampler(config),
    spanProcessors: spanProcessors(config, endpoints),
    // Set deliberately: NodeSDK would otherwise default both to OTLP.
    logRecordProcessors: logRecordProcessors(config, endpoints),
    metricReaders: metricReaders(config),
    instrumentations: instrumentations(config),
  });
  sdk.start();

  return {
    async shutdown(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      });
      try {
        await Promise.race([sdk.shutdown().catch((error: unknown) => diag.error('shutdown failed', error)), deadline]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
