import { randomUUID } from 'node:crypto';
import { diag } from '@opentelemetry/api';
import { RuntimeNodeInstrumentation } from '@opentelemetry/instrumentation-runtime-node';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { defaultResource, envDetector, hostDetector, processDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import type { TelemetryConfig } from './config';
import { logRecordProcessors, metricReaders, spanProcessors } from './exporters';
import { TrustedCallerPropagator } from './http/trusted-propagator';
import { textMapPropagatorFor } from './propagators';
import { tracesSampler } from './sampler';
import { ATTR_DEPLOYMENT_ENVIRONMENT_NAME, ATTR_SERVICE_INSTANCE_ID, ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from './semconv';
import type { OtlpEndpointOverrides } from './sentry/otlp-endpoints';

export interface Telemetry {
  /** Exports what is buffered and stops the providers; resolves within `timeoutMs` whatever the backend does. */
  shutdown(timeoutMs: number): Promise<void>;
}

/**
 * The instrumentations Drop needs, chosen one by one (no auto-instrumentations bundle), none of them through a
 * require hook:
 * - undici: spans and traceparent for outgoing fetch() calls (diagnostics channels);
 * - runtime-node: event-loop delay and utilisation, heap and GC metrics (perf_hooks; only with a metrics reader).
 * No http: Next makes the server span, and Drop's outgoing calls use fetch. No pino: the logger's mixin writes the
 * request's ids on every line (otel/logger.ts) and otel/pino-log-records.ts sends the records. No pg: the Kysely
 * layer (otel/db) makes one span per query for both SQLite and PostgreSQL. No fs: noise.
 */
function instrumentations(config: TelemetryConfig) {
  const list: Array<UndiciInstrumentation | RuntimeNodeInstrumentation> = [new UndiciInstrumentation()];
  if (config.metricsExporter === 'otlp') list.push(new RuntimeNodeInstrumentation());
  return list;
}

/**
 * `service.instance.id`: a UUID per start (the process is the instance: a restarted replica is a new series, as
 * Prometheus' `instance` expects); OTEL_RESOURCE_ATTRIBUTES=service.instance.id=… overrides it.
 */
export const SERVICE_INSTANCE_ID = randomUUID();

export function startTelemetry(config: TelemetryConfig, endpoints: OtlpEndpointOverrides = {}): Telemetry | undefined {
  if (config.disabled) return undefined;
  // Defaults first; OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (envDetector) win over them.
  const resource = defaultResource().merge(
    resourceFromAttributes({
      [ATTR_SERVICE_NAME]: config.serviceName,
      [ATTR_SERVICE_VERSION]: config.serviceVersion,
      [ATTR_DEPLOYMENT_ENVIRONMENT_NAME]: config.environment,
      [ATTR_SERVICE_INSTANCE_ID]: SERVICE_INSTANCE_ID,
    }),
  );

  const sdk = new NodeSDK({
    resource,
    resourceDetectors: [processDetector, hostDetector, envDetector],
    sampler: tracesSampler(config),
    textMapPropagator: new TrustedCallerPropagator(textMapPropagatorFor(config.propagators), config.traceContextTrust),
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
