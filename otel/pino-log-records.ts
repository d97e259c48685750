import { format } from 'node:util';
import { logs, SeverityNumber, type AnyValueMap, type Logger as OtelLogger } from '@opentelemetry/api-logs';
import pino, { type Logger } from 'pino';
import { LOG_TRACE_KEYS } from './correlation';
import { ATTR_EVENT_NAME } from './semconv';

/**
 * OTLP log records built straight from the object pino is about to write, instead of parsing the JSON line back
 * (what @opentelemetry/instrumentation-pino's stream does: JSON.parse of every line, behind a multistream). The
 * record carries what the stream's would: the message as body, pino's severity, the redacted fields and the
 * logger's bindings as attributes, `event.name` as the EventName, `err` as the exception, and the trace context
 * of the active span (the record is emitted synchronously inside the log call, like the stream's).
 *
 * pino hands the merged object (after the correlation mixin) only to `formatters.log`, and the message only to
 * the log method: `captureObject` keeps the first, `emitAfter` pairs it with the second once pino has written
 * the line. Both run synchronously in the same call, so the hand-over cannot interleave with another record.
 */
const SEVERITY: Record<number, SeverityNumber> = {
  10: SeverityNumber.TRACE,
  20: SeverityNumber.DEBUG,
  30: SeverityNumber.INFO,
  40: SeverityNumber.WARN,
  50: SeverityNumber.ERROR,
  60: SeverityNumber.FATAL,
};

/**
 * Fields the line has that a record carries elsewhere (resource, trace context, body, exception), and the line's
 * `event.name`, which becomes the record's OTLP EventName field (the attribute of that name is deprecated).
 */
const NOT_ATTRIBUTES = new Set([
  'time',
  'msg',
  'level',
  'hostname',
  'pid',
  LOG_TRACE_KEYS.traceId,
  LOG_TRACE_KEYS.spanId,
  LOG_TRACE_KEYS.traceFlags,
  ATTR_EVENT_NAME,
  'err',
]);

export interface PinoLogRecords {
  /** For `formatters.log`, after redaction (errors already serialized): remembers the object about to be written. */
  captureObject(redacted: Record<string, unknown>): void;
  /** For `hooks.logMethod`, after the line is written: emits the record of that call. */
  emitAfter(logger: Logger, args: unknown[], level: number): void;
}

const bindingsCache = new Map<string, Record<string, unknown>>();
const BINDINGS_CACHE_LIMIT = 100;

/** The logger's bindings (base and child), parsed once per distinct set: pino keeps them as a JSON fragment. */
function bindingsOf(logger: Logger): Record<string, unknown> {
  const fragment = (logger as unknown as Record<symbol, string | undefined>)[pino.symbols.chindingsSym] ?? '';
  let bindings = bindingsCache.get(fragment);
  if (!bindings) {
    bindings = fragment ? (JSON.parse(`{${fragment.slice(1)}}`) as Record<string, unknown>) : {};
    if (bindingsCache.size >= BINDINGS_CACHE_LIMIT) bindingsCache.clear();
    bindingsCache.set(fragment, bindings);
  }
  return bindings;
}

/** The message pino writes for these arguments: `(obj, msg, ...params)` or `(msg, ...params)`, an error's message by default. */
function messageOf(args: unknown[], object: Record<string, unknown>): unknown {
  const [first, ...rest] = args;
  const withObject = typeof first === 'object' && first !== null;
  const [message, ...params] = withObject ? rest : [first, ...rest];
  if (message === undefined) {
    const err = object.err as { message?: unknown } | undefined;
    return typeof err?.message === 'string' ? err.message : undefined;
  }
  return params.length > 0 ? format(message, ...params) : message;
}

/** As the stream does: the serializer's `type` as the exception's `name`, which the SDK reads for exception.type. */
function exceptionOf(serialized: unknown): unknown {
  if (!serialized || typeof serialized !== 'object' || Array.isArray(serialized)) return serialized;
  const exception = serialized as Record<string, unknown>;
  return typeof exception.type === 'string' && typeof exception.name !== 'string' ? { ...exception, name: exception.type } : exception;
}

export function pinoLogRecords(otelLogger: OtelLogger = logs.getLogger('drop-pino')): PinoLogRecords {
  let pending: Record<string, unknown> | undefined;
  return {
    captureObject(redacted) {
      pending = redacted;
    },
    emitAfter(logger, args, level) {
      const object = pending;
      pending = undefined;
      if (!object) return;
      const attributes: AnyValueMap = {};
      const bindings = bindingsOf(logger);
      for (const key in bindings) if (!NOT_ATTRIBUTES.has(key)) attributes[key] = bindings[key] as AnyValueMap[string];
      for (const key in object) {
        if (NOT_ATTRIBUTES.has(key)) continue;
        attributes[key] = object[key] as AnyValueMap[string];
      }
      const eventName = object[ATTR_EVENT_NAME];
      otelLogger.emit({
        severityNumber: SEVERITY[level] ?? SeverityNumber.UNSPECIFIED,
        severityText: logger.levels.labels[level],
        body: messageOf(args, object) as AnyValueMap[string],
        attributes,
        ...(object.err !== undefined ? { exception: exceptionOf(object.err) } : {}),
        ...(typeof eventName === 'string' ? { eventName } : {}),
      });
    },
  };
}
