import pino, { type DestinationStream, type Logger } from 'pino';
import { trace, isSpanContextValid } from '@opentelemetry/api';
import type { TelemetryConfig } from './config';
import { LOG_TRACE_KEYS } from './correlation';
import { pinoLogRecords } from './pino-log-records';
import { currentRequestId } from './request-scope';
import { ATTR_DEPLOYMENT_ENVIRONMENT_NAME, ATTR_EVENT_NAME, ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION, EVENT_OTEL_CONFIG } from './semconv';
import { errorPlainFields, redact, redactString } from './redact';
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

interface SerializedError {
  type: string;
  message: string;
  stack?: string;
  cause?: SerializedError;
  /** The error's plain fields: a driver's `code` and `detail`, Next's `digest` (the reference its error page shows). */
  [field: string]: unknown;
}

/**
 * Errors keep what helps a reader (type, message, stack, cause and their plain fields: code, detail, Next's digest)
 * and nothing else: driver errors carry their whole client object (connection parameters, buffers), which has no
 * place in a log line.
 */
export function serializeError(error: unknown, depth = 0): SerializedError | unknown {
  if (!(error instanceof Error)) return error;
  const out: SerializedError = { type: error.name, message: error.message, stack: error.stack };
  for (const [key, value] of errorPlainFields(error)) if (!(key in out)) out[key] = value;
  if (error.cause !== undefined && depth < 3) out.cause = serializeError(error.cause, depth + 1) as SerializedError;
  return out;
}

/**
 * The record with each Error in it as serializeError shapes it. pino's serializers run only after
 * `formatters.log`, and the redaction there would otherwise copy an Error field by field (the objects a driver error
 * carries included) before any serializer saw it: serialized first, the redaction masks the type, message, stack,
 * code and cause that are left.
 */
function serializeErrors(object: Record<string, unknown>): Record<string, unknown> {
  let out = object;
  for (const key in object) {
    const value = object[key];
    if (!(value instanceof Error)) continue;
    if (out === object) out = { ...object };
    out[key] = serializeError(value);
  }
  return out;
}

/**
 * The arguments of a call that logs an error and no message (`logger.error(err)`, `logger.error({ err })`) with the
 * error's message, redacted, as the message: pino would otherwise take it from the error itself, after this hook
 * and outside `formatters.log`, and write it unmasked.
 */
function withErrorMessage(args: unknown[]): unknown[] {
  const [first] = args;
  if (args.length !== 1 || typeof first !== 'object' || first === null) return args;
  const fields = first as { msg?: unknown; err?: unknown };
  const error = first instanceof Error ? first : fields.msg === undefined ? fields.err : undefined;
  const message = (error as { message?: unknown } | null | undefined)?.message;
  return typeof message === 'string' ? [first, redactString(message)] : args;
}

/** `trace_id` (the request id), `span_id` and `trace_flags` of the line's request and active span; none outside both. */
export function correlationFields(): Record<string, string> {
  const fields: Record<string, string> = {};
  const requestId = currentRequestId();
  if (requestId) fields[LOG_TRACE_KEYS.traceId] = requestId;
  const span = trace.getActiveSpan()?.spanContext();
  if (span && isSpanContextValid(span)) {
    fields[LOG_TRACE_KEYS.spanId] = span.spanId;
    fields[LOG_TRACE_KEYS.traceFlags] = `0${span.traceFlags.toString(16)}`;
  }
  return fields;
}

/**
 * Drop's logger for a configuration, writing to `destination` (stdout by default). The app uses getLogger(); the
 * alert processor creates its one logger from its own parsed configuration.
 */
export function createLogger(config: TelemetryConfig, destination?: DestinationStream): Logger {
  // OTLP records from pino's object (not from its line), when the SDK runs and exports logs.
  const records = !config.disabled && config.logsExporter === 'otlp' ? pinoLogRecords() : undefined;
  const pretty = !destination && config.prettyLogs ? prettyStream() : undefined;
  const logger = pino(
    {
      level: config.logLevel,
      messageKey: 'msg',
      timestamp: pino.stdTimeFunctions.isoTime,
      // For child loggers' bindings; a record's errors are serialized before its redaction (formatters.log).
      serializers: { err: serializeError, error: serializeError },
      base: {
        [ATTR_SERVICE_NAME]: config.serviceName,
        [ATTR_SERVICE_VERSION]: config.serviceVersion,
        [ATTR_DEPLOYMENT_ENVIRONMENT_NAME]: config.environment,
      },
      // The request's ids on every line, from the request scope (the same with the SDK off), owned here rather than
      // by an instrumentation that must patch pino before anything imports it.
      mixin: correlationFields,
      formatters: {
        level: (label) => ({ level: label }),
        // The shared redaction policy runs on every record, its errors serialized, before it is written to any stream.
        log: (object) => {
          const redacted = redact(serializeErrors(object));
          records?.captureObject(redacted);
          return redacted;
        },
      },
      hooks: {
        logMethod(args, method, level) {
          const cleaned = withErrorMessage(args.map((arg) => (typeof arg === 'string' ? redactString(arg) : arg))) as typeof args;
          method.apply(this, cleaned);
          records?.emitAfter(this, cleaned, level);
        },
      },
    },
    destination ?? pretty,
  );
  if (config.prettyLogs && !pretty) {
    logger.warn(
      { [ATTR_EVENT_NAME]: EVENT_OTEL_CONFIG },
      'LOG_FORMAT=pretty needs pino-pretty (a dev dependency, not in the production image); logging JSON',
    );
  }
  return logger;
}

/** The process's one logger (its OTLP records need the SDK started first: register() creates it after). */
export function getLogger(): Logger {
  const g = globalThis as GlobalWithLogger;
  g[loggerKey] ??= createLogger(telemetryConfig());
  return g[loggerKey];
}

/**
 * For command-line tools whose stdout is their result (a JSON document, a verdict): the process's logger writes to
 * stderr, so a log line (a slow query on a busy machine, a warning) never mixes with the output a program parses.
 * Call it before anything logs.
 */
export function logToStderr(): void {
  const g = globalThis as GlobalWithLogger;
  g[loggerKey] = createLogger(telemetryConfig(), pino.destination({ fd: 2, sync: true }));
}
