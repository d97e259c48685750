import pino, { type DestinationStream, type Logger } from 'pino';
import { ATTR_DEPLOYMENT_ENVIRONMENT_NAME, ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { redact, redactString } from './redact';
import { telemetryConfig } from './service-info';

export type { Logger };

const loggerKey = Symbol.for('drop.logger');
type GlobalWithLogger = typeof globalThis & { [loggerKey]?: Logger };

function prettyStream(): DestinationStream | undefined {
  try {
    // Optional, development only: pino-pretty is a devDependency.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pretty = require('pino-pretty') as (opts: object) => DestinationStream;
    return pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l' });
  } catch {
    return undefined;
  }
}

function createLogger(): Logger {
  const config = telemetryConfig();
  return pino(
    {
      level: config.logLevel,
      messageKey: 'msg',
      timestamp: pino.stdTimeFunctions.isoTime,
      base: {
        [ATTR_SERVICE_NAME]: config.serviceName,
        [ATTR_SERVICE_VERSION]: config.serviceVersion,
        [ATTR_DEPLOYMENT_ENVIRONMENT_NAME]: config.environment,
      },
      formatters: {
        level: (label) => ({ level: label }),
        // The shared redaction policy runs on every record before it is written to any stream.
        log: (object) => redact(object),
      },
      hooks: {
        logMethod(args, method) {
          const cleaned = args.map((arg) => (typeof arg === 'string' ? redactString(arg) : arg)) as typeof args;
          return method.apply(this, cleaned);
        },
      },
    },
    config.prettyLogs ? prettyStream() : undefined,
  );
}

/**
 * The process's one logger. It must first be created after the OpenTelemetry SDK has started, so that
 * @opentelemetry/instrumentation-pino adds trace_id/span_id and forwards each record over OTLP.
 */
export function getLogger(): Logger {
  const g = globalThis as GlobalWithLogger;
  g[loggerKey] ??= createLogger();
  return g[loggerKey];
}
