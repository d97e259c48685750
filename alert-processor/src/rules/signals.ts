import {
  ATTR_DEPLOYMENT_ENVIRONMENT_NAME,
  ATTR_ERROR_TYPE,
  ATTR_EVENT_NAME,
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_VERSION,
  EVENT_APP_STARTED,
  EVENT_APP_STOPPING,
  type LifecycleEventName,
  ATTR_BACKUP_ATTEMPT,
  ATTR_BACKUP_INTERVAL_SECONDS,
  ATTR_BACKUP_NEXT_ATTEMPT_SECONDS,
  EVENT_BACKUP_FAILED,
  EVENT_BACKUP_SUCCEEDED,
  EVENT_AUDIT_CHECKPOINT_REFUSED,
  EVENT_AUDIT_VERIFY_FAILED,
} from '@otel';
import type { AttributeValue, Attributes, OtlpLogRecord, OtlpSpan } from '../intake/otlp/decode';

/**
 * What the rules act on, taken from decoded OTLP records: the app's lifecycle events and failures (error logs
 * and error spans). Everything else — the processor may be sent more than the collector's filter lets through —
 * is ignored here.
 */
export type LifecycleEvent = LifecycleEventName;

export interface LifecycleSignal {
  kind: 'lifecycle';
  event: LifecycleEvent;
  service: string;
  /** When it happened (the record's time, else now), epoch ms. */
  timeMs: number;
  version?: string;
  environment?: string;
}

export interface ErrorSignal {
  kind: 'error';
  service: string;
  /** The failing request's trace id; empty when the record has none. */
  traceId: string;
  /** A short, human description: the span name or the log message. */
  description: string;
}

/** The backup scheduler's outcome (backup-watch.ts): `backup.succeeded` / `backup.failed`. */
export interface BackupSignal {
  kind: 'backup';
  outcome: 'succeeded' | 'failed';
  service: string;
  timeMs: number;
  /** backup.interval_seconds in ms; undefined when absent or not a positive number. */
  intervalMs?: number;
  attempt?: number;
  /** backup.next_attempt_seconds in ms, after a failure. */
  nextAttemptMs?: number;
  /** error.type, after a failure. */
  errorType?: string;
}

export type AlertSignal = LifecycleSignal | ErrorSignal;

export const UNKNOWN_SERVICE = 'unknown_service';
/** Error records that are their own watch's alert, not a failing request of an error spike. */
const WATCHED_ELSEWHERE: ReadonlySet<string> = new Set([
  EVENT_BACKUP_FAILED,
  EVENT_BACKUP_SUCCEEDED,
  EVENT_AUDIT_CHECKPOINT_REFUSED,
  EVENT_AUDIT_VERIFY_FAILED,
]);
const SEVERITY_ERROR = 17;
const STATUS_CODE_ERROR = 2;
const ERROR_SEVERITY_TEXT = /^(error|fatal|critical|alert|emergency)/i;
const MAX_DESCRIPTION = 200;

const text = (value: AttributeValue | undefined): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

export function serviceOf(resource: Attributes): string {
  return text(resource[ATTR_SERVICE_NAME]) ?? UNKNOWN_SERVICE;
}

function shorten(value: string): string {
  return value.length > MAX_DESCRIPTION ? `${value.slice(0, MAX_DESCRIPTION - 1)}…` : value;
}

function nanosToMs(nanos: string, fallback: number): number {
  if (!nanos || nanos === '0') return fallback;
  const ms = Number(nanos.length > 6 ? nanos.slice(0, -6) : '0');
  return Number.isFinite(ms) && ms > 0 ? ms : fallback;
}

/** The same test as the collector's `filter/alert-worthy`: severity >= ERROR, or an error-like text without a number. */
export function isErrorLog(record: OtlpLogRecord): boolean {
  if (record.severityNumber >= SEVERITY_ERROR) return true;
  return record.severityNumber === 0 && ERROR_SEVERITY_TEXT.test(record.severityText);
}

const positive = (value: AttributeValue | undefined): number | undefined => {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  return Number.isFinite(n) && n > 0 ? n : undefined;
};

/** The backup scheduler's events among the records: the OTLP EventName field or the `event.name` attribute. */
export function backupSignalsFromLogs(records: OtlpLogRecord[], now: number): BackupSignal[] {
  const signals: BackupSignal[] = [];
  for (const record of records) {
    const name = record.eventName || text(record.attributes[ATTR_EVENT_NAME]);
    if (name !== EVENT_BACKUP_SUCCEEDED && name !== EVENT_BACKUP_FAILED) continue;
    const interval = positive(record.attributes[ATTR_BACKUP_INTERVAL_SECONDS]);
    const next = positive(record.attributes[ATTR_BACKUP_NEXT_ATTEMPT_SECONDS]);
    signals.push({
      kind: 'backup',
      outcome: name === EVENT_BACKUP_SUCCEEDED ? 'succeeded' : 'failed',
      service: serviceOf(record.resource),
      timeMs: nanosToMs(record.timeUnixNano, now),
      intervalMs: interval === undefined ? undefined : interval * 1000,
      attempt: positive(record.attributes[ATTR_BACKUP_ATTEMPT]),
      nextAttemptMs: next === undefined ? undefined : next * 1000,
      errorType: text(record.attributes[ATTR_ERROR_TYPE]),
    });
  }
  return signals;
}

function lifecycleEventOf(record: OtlpLogRecord): LifecycleEvent | undefined {
  // The OTLP EventName field (Drop's layer sets it); older senders keep the deprecated `event.name` attribute.
  const name = record.eventName || text(record.attributes[ATTR_EVENT_NAME]);
  return name === EVENT_APP_STARTED || name === EVENT_APP_STOPPING ? name : undefined;
}

export function signalsFromLogs(records: OtlpLogRecord[], now: number): AlertSignal[] {
  const signals: AlertSignal[] = [];
  for (const record of records) {
    // A failed backup or a broken audit chain is its watch's (backup-watch.ts, audit-watch.ts), not a failing request.
    const name = record.eventName || text(record.attributes[ATTR_EVENT_NAME]);
    if (name && WATCHED_ELSEWHERE.has(name)) continue;
    const event = lifecycleEventOf(record);
    if (event) {
      signals.push({
        kind: 'lifecycle',
        event,
        service: serviceOf(record.resource),
        timeMs: nanosToMs(record.timeUnixNano, now),
        version: text(record.resource[ATTR_SERVICE_VERSION]),
        environment: text(record.resource[ATTR_DEPLOYMENT_ENVIRONMENT_NAME]),
      });
    } else if (isErrorLog(record)) {
      const body = typeof record.body === 'string' ? record.body : JSON.stringify(record.body);
      signals.push({
        kind: 'error',
        service: serviceOf(record.resource),
        traceId: record.traceId,
        description: shorten(body ?? ''),
      });
    }
  }
  return signals;
}

export function signalsFromSpans(spans: OtlpSpan[]): AlertSignal[] {
  const signals: AlertSignal[] = [];
  for (const span of spans) {
    if (span.status.code !== STATUS_CODE_ERROR) continue;
    const errorType = text(span.attributes[ATTR_ERROR_TYPE]);
    signals.push({
      kind: 'error',
      service: serviceOf(span.resource),
      traceId: span.traceId,
      description: shorten(errorType ? `${span.name} (${errorType})` : span.name),
    });
  }
  return signals;
}

/** The services that sent these records (the heartbeat's signs of life). */
export function servicesOf(records: readonly { resource: Attributes }[]): Set<string> {
  const services = new Set<string>();
  let last: Attributes | undefined;
  for (const record of records) {
    if (record.resource === last) continue;
    last = record.resource;
    services.add(serviceOf(record.resource));
  }
  return services;
}
