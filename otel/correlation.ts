/**
 * The correlation contract: one id, the request's W3C trace id (32 lowercase hex), carried under one name per sink.
 * Every sink takes its name from here, so a reader can follow a request from the response header through the log
 * lines, the Sentry event, the audit row and the Slack alert to the trace (docs/OBSERVABILITY.md, "One request id").
 */
export const CORRELATION = {
  /** Response header on every API answer and page (route() and src/proxy.ts). */
  header: 'x-request-id',
  /** Key on every pino line (written by the logger's mixin, otel/logger.ts), left out of OTLP records' attributes. */
  logKey: 'trace_id',
  /** Tag on every Sentry event (otel/sentry/node.ts); the collector's events to Sentry carry the trace id itself. */
  sentryTag: 'request_id',
  /** Column of every audit row (audit/schema.ts, hashed by audit/chain.ts, filtered by audit/query.ts), and the audit API's filter parameter (src/server/http/audit-params.ts). */
  auditColumn: 'request_id',
  /** Placeholder in TRACE_URL_TEMPLATE (parseTraceUrlTemplate): the audit page's and the Slack alert's link to the trace viewer. */
  traceUrlPlaceholder: '{traceId}',
} as const;

/** The trace context keys on each pino line: the trace id under the contract's name, and its span's. */
export const LOG_TRACE_KEYS = { traceId: CORRELATION.logKey, spanId: 'span_id', traceFlags: 'trace_flags' } as const;

const TRACE_ID = /^[0-9a-f]{32}$/;

/** A valid W3C trace id: 32 lowercase hex characters, not all zero. */
export function isTraceId(value: string): boolean {
  return TRACE_ID.test(value) && !/^0+$/.test(value);
}

/**
 * TRACE_URL_TEMPLATE, checked the same way by every process that reads it (the app, the alert processor): unset or
 * blank is no link; otherwise an http(s) URL containing {traceId}, or an error naming the variable, which stops
 * the process at start-up (a link template that can never work is a deployment mistake, not a degraded mode).
 */
export function parseTraceUrlTemplate(raw: string | undefined): string | undefined {
  const value = raw?.trim();
  if (!value) return undefined;
  if (
    !/^https?:\/\//.test(value) ||
    !value.includes(CORRELATION.traceUrlPlaceholder) ||
    !URL.canParse(value.replaceAll(CORRELATION.traceUrlPlaceholder, '0'))
  ) {
    throw new Error(`TRACE_URL_TEMPLATE must be an http(s) URL containing ${CORRELATION.traceUrlPlaceholder}, got "${value}"`);
  }
  return value;
}

/**
 * A request id for a request without a trace (OTEL_SDK_DISABLED=true, or outside any span): random, in the trace
 * id's shape, so the header and the log lines still correlate. Web Crypto: the proxy may run on the edge runtime.
 */
export function newRequestId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The trace viewer's page for a trace id, from a template such as `https://tempo.example/trace/{traceId}`. */
export function traceUrl(template: string | undefined, traceId: string): string | undefined {
  if (!template || !/^https?:\/\//.test(template) || !isTraceId(traceId)) return undefined;
  return template.replaceAll(CORRELATION.traceUrlPlaceholder, traceId);
}
