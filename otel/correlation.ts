/**
 * The correlation contract: one id, the request's W3C trace id (32 lowercase hex), carried under one name per sink.
 * Every sink takes its name from here, so a reader can follow a request from the response header through the log
 * lines, the Sentry event, the audit row and the Slack alert to the trace (docs/OBSERVABILITY.md, "One request id").
 */
export const CORRELATION = {
  /** Response header on every API answer and page (route() and src/proxy.ts). */
  header: 'x-request-id',
  /** Key on every pino line and OTLP log record (written by @opentelemetry/instrumentation-pino). */
  logKey: 'trace_id',
  /** Tag on every Sentry event (otel/sentry/node.ts). */
  sentryTag: 'request_id',
  /** Column of every audit row (audit/schema.ts), and the audit API's filter parameter. */
  auditColumn: 'request_id',
  /** Placeholder in TRACE_URL_TEMPLATE: the audit page's and the Slack alert's link to the trace viewer. */
  traceUrlPlaceholder: '{traceId}',
} as const;

const TRACE_ID = /^[0-9a-f]{32}$/;

export function isTraceId(value: string): boolean {
  return TRACE_ID.test(value) && !/^0+$/.test(value);
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
