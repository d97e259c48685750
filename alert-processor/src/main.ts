/**
 * `npm run alerts` (development, through tsx) or `node alert-processor/dist/main.mjs` (the image, bundled by
 * alert-processor/build.ts): Drop's Slack alert processor. Configuration: docs/MONITORING.md, "Alert processor".
 */
import { createLogger, parseTelemetryConfig, SERVICE_VERSION } from '@otel';
import { createAlertProcessor } from './alert-processor';
import { parseAlertsConfig } from './config';

// Both configurations parsed once, here; their warnings logged once, before anything else.
const telemetry = parseTelemetryConfig(process.env, SERVICE_VERSION, 'drop-alert-processor');
const logger = createLogger(telemetry);
for (const warning of telemetry.warnings) logger.warn({ 'event.name': 'otel.config' }, warning);
const config = parseAlertsConfig(process.env);
for (const warning of config.warnings) logger.warn({ 'event.name': 'alerts.config' }, warning);
if (config.problems.length > 0) {
  for (const problem of config.problems) logger.fatal({ 'event.name': 'alerts.config' }, problem);
  process.exit(1);
}

if (config.intakeToken === undefined) {
  logger.warn(
    { 'event.name': 'alerts.config' },
    'ALERTS_INTAKE_UNAUTHENTICATED=true: the OTLP intake takes records from anyone who can reach it (for local runs only; set ALERTS_INTAKE_TOKEN on the collector and here)',
  );
}

process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled promise rejection'));

const processor = createAlertProcessor(config, logger);

function shutdown(signal: NodeJS.Signals): void {
  logger.info({ 'event.name': 'alerts.stopping', signal }, 'alert processor stopping: finishing requests and deliveries in flight');
  // A stop that hangs ends the process anyway (a second signal does too: the handlers are `once`).
  setTimeout(() => {
    logger.error('the alert processor did not stop in time; exiting');
    process.exit(1);
  }, config.shutdownTimeoutMs + 10_000).unref();
  processor.stop().then(
    () => {
      logger.info({ 'event.name': 'alerts.stopped' }, 'alert processor stopped');
      process.exit(0);
    },
    (error: unknown) => {
      logger.error({ err: error }, 'the alert processor did not stop cleanly');
      process.exit(1);
    },
  );
}

processor.start().then(
  () => {
    logger.info(
      {
        'event.name': 'alerts.started',
        url: processor.url,
        slack: config.slackWebhookUrl ? 'configured' : 'not configured (alerts are only logged, at debug level)',
        email: config.email ? `${config.email.security} ${config.email.host}:${config.email.port}` : 'not configured',
        routes: config.routes,
        intake: config.intakeToken === undefined ? 'unauthenticated' : 'bearer token',
        services: config.services,
        threshold: config.errorThreshold,
        window_seconds: config.windowMs / 1000,
        cooldown_seconds: config.cooldownMs / 1000,
        state_file: config.stateFile,
      },
      `alert processor listening on ${processor.url}`,
    );
    process.once('SIGTERM', shutdown);
    process.once('SIGINT', shutdown);
  },
  (error: unknown) => {
    logger.fatal({ err: error }, `the alert processor could not listen on ${config.host}:${config.port}`);
    process.exit(1);
  },
);
