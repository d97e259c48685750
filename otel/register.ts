import { diag, DiagLogLevel } from '@opentelemetry/api';
import { ThrottledDiagLogger } from './diag-logger';
import { installRequestScope } from './request-scope';
import { foreignSdkRegistered, telemetryConfig, yieldToForeignSdk } from './service-info';
import { startTelemetry, type Telemetry } from './sdk';
import { droppedTelemetry } from './exporters';
import { ATTR_EVENT_NAME, EVENT_OTEL_CONFIG, EVENT_SENTRY_STARTED } from './semconv';
import { errorReporter } from './sentry/error-reporter';
import { sentryOtlpOverrides, type OtlpEndpointOverrides } from './sentry/otlp-endpoints';

export { reportRequestError } from './sentry/request-error';

/** The providers' shutdown and Sentry's flush, both bounded by the same timeout. */
function withErrorReportsFlushed(telemetry: Telemetry | undefined): Telemetry | undefined {
  const reporter = errorReporter();
  if (!reporter) return telemetry;
  return {
    async shutdown(timeoutMs) {
      await Promise.all([telemetry?.shutdown(timeoutMs), reporter.flush(timeoutMs)]);
    },
  };
}

export interface RegisteredTelemetry {
  /** Logs `app.started`; the app calls it once its configuration check passed. */
  announceStarted(): void;
}

/**
 * Boots the layer in the Node.js runtime: the SDK first, then the logger (so pino is instrumented), then Sentry
 * (when SENTRY_DSN is set) and the lifecycle hooks. Called once from src/instrumentation.ts `register()`.
 */
export async function registerNodeTelemetry(): Promise<RegisteredTelemetry> {
  const foreign = foreignSdkRegistered();
  const config = foreign ? yieldToForeignSdk() : telemetryConfig();
  const sentryLoadStarted = performance.now();
  // @sentry/node is loaded only with a DSN, and before the SDK starts: without a collector the trace and log
  // exporters point at Sentry's OTLP ingest, whose URL and auth header the Sentry SDK derives from the DSN.
  const sentry = config.sentry ? await import('./sentry/node') : undefined;
  const sentryLoadMs = performance.now() - sentryLoadStarted;
  let endpoints: OtlpEndpointOverrides = {};
  if (sentry && config.sentry) endpoints = sentryOtlpOverrides(sentry.sentryOtlpTracesEndpoint(config.sentry.dsn), config.otlpEndpoints);
  // Before the first request: every request runs in a scope of its own, with or without the SDK.
  installRequestScope();
  const telemetry = startTelemetry(config, endpoints);
  const { getLogger } = await import('./logger');
  const { announceStarted, installLifecycle } = await import('./lifecycle');
  const { installPageAccessLog } = await import('./http/page-access-log');
  const logger = getLogger();
  installPageAccessLog(logger);
  if (!config.prettyLogs) {
    const { bridgeConsole } = await import('./console-bridge');
    bridgeConsole(logger);
  }
  if (telemetry) droppedTelemetry().startReporting(logger, config.droppedReportMs);
  // The SDK's own errors (a backend that is down, above all) reach the log at most once a minute each.
  // Not when another SDK runs the show: its diagnostics are its own.
  if (!foreign) diag.setLogger(new ThrottledDiagLogger(logger), { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
  for (const warning of config.warnings) logger.warn({ [ATTR_EVENT_NAME]: EVENT_OTEL_CONFIG }, warning);
  if (foreign) {
    logger.info(
      { [ATTR_EVENT_NAME]: EVENT_OTEL_CONFIG },
      "another OpenTelemetry SDK was registered before Drop's layer: the layer starts none and sends no log records of its own",
    );
  }
  if (sentry && config.sentry) {
    const initStarted = performance.now();
    sentry.startSentry(config.sentry);
    // Loading the SDK (before the OTel SDK started) plus its init: what Sentry adds to start-up.
    const startupMs = Math.round(sentryLoadMs + performance.now() - initStarted);
    const exported = config.tracesExporter === 'otlp' || config.logsExporter === 'otlp';
    const route = !exported
      ? 'not exported (OTEL_*_EXPORTER=none)'
      : endpoints.traces || endpoints.logs
        ? "straight to Sentry's OTLP ingest"
        : 'to OTEL_EXPORTER_OTLP_ENDPOINT (the collector forwards them)';
    logger.info(
      {
        [ATTR_EVENT_NAME]: EVENT_SENTRY_STARTED,
        'sentry.environment': config.sentry.environment,
        'sentry.release': config.sentry.release,
        duration_ms: startupMs,
      },
      `sentry: errors to Sentry (${config.sentry.environment}, ${config.sentry.release}); traces and logs ${route}`,
    );
  }
  installLifecycle({
    logger,
    telemetry: withErrorReportsFlushed(telemetry),
    shutdownTimeoutMs: config.shutdownTimeoutMs,
    version: config.serviceVersion,
    environment: config.environment,
  });
  return { announceStarted: () => announceStarted(logger, { version: config.serviceVersion, environment: config.environment }) };
}
