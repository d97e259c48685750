import { diag, DiagLogLevel } from '@opentelemetry/api';
import { ThrottledDiagLogger } from './diag-logger';
import { telemetryConfig } from './service-info';
import { startTelemetry } from './sdk';

/**
 * Boots the layer in the Node.js runtime: the SDK first, then the logger (so pino is instrumented), then
 * the lifecycle hooks. Called once from instrumentation.ts `register()`.
 */
export async function registerNodeTelemetry(): Promise<void> {
  const config = telemetryConfig();
  const telemetry = startTelemetry(config);
  // Loaded only now, and nothing above may import it statically: requiring pino before the SDK starts
  // would leave log lines without trace_id and keep them off OTLP.
  const { getLogger } = await import('./logger');
  const { installLifecycle } = await import('./lifecycle');
  const logger = getLogger();
  // The SDK's own errors (a backend that is down, above all) reach the log at most once a minute each.
  diag.setLogger(new ThrottledDiagLogger(logger), { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
  for (const warning of config.warnings) logger.warn({ 'event.name': 'otel.config' }, warning);
  installLifecycle({
    logger,
    telemetry,
    shutdownTimeoutMs: config.shutdownTimeoutMs,
    version: config.serviceVersion,
    environment: config.environment,
  });
}
