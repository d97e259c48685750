import type { Logger } from 'pino';
import { parseTelemetryConfig } from './config';
import { createLogger } from './logger';
import { startTelemetry } from './sdk';
import { SERVICE_VERSION } from './service-info';

/** How long the final export may take: a command waiting on a collector that is down must not hang its caller. */
const FLUSH_TIMEOUT_MS = 5_000;

/**
 * Telemetry for a short-lived command (the backup scheduler's events, `@otel/command`): the layer's SDK started
 * from the standard OTEL_* variables under the command's own service name (unless OTEL_SERVICE_NAME says
 * otherwise), and a logger whose records — redacted by the shared policy — go out over OTLP; its JSON lines are
 * dropped, the command prints its own output. Resolves once what `run` logged has been exported, or after the
 * flush timeout.
 */
export async function withCommandTelemetry<T>(defaultServiceName: string, run: (logger: Logger) => T | Promise<T>): Promise<T> {
  const config = parseTelemetryConfig(process.env, SERVICE_VERSION, defaultServiceName);
  const telemetry = startTelemetry(config);
  const logger = createLogger(config, { write: () => undefined });
  try {
    return await run(logger);
  } finally {
    await telemetry?.shutdown(FLUSH_TIMEOUT_MS);
  }
}
