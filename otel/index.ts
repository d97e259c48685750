/**
 * The operations layer's public entry for server code (the app, the audit module, the alert processor), imported
 * as `@otel`. Two more entries: `@otel/register` boots the layer (src/instrumentation.ts, dynamically), and
 * `@otel/browser` starts the browser's monitoring (src/instrumentation-client.ts). Nothing else in otel/ is
 * imported from outside it (ESLint no-restricted-imports).
 */
export { CORRELATION, isTraceId, newRequestId, parseTraceUrlTemplate, traceUrl } from './correlation';
export { currentTraceIds, type TraceIds } from './trace-context';
export { currentRequestId } from './request-scope';
export { countOutcome, observeConnectionPool, type BusinessMetric, type PoolStats } from './metrics';
export * from './semconv';
export { EXPECTED_ERROR } from './console-bridge';
export { createLogger, getLogger, logToStderr, type Logger } from './logger';
export { parseTelemetryConfig, type TelemetryConfig } from './config';
export { REDACTED, maskClientAddress, maskEmail, redact, redactString } from './redact';
export { beginRequest, routePattern, type RequestOutcome, type RequestTelemetry } from './http/request-telemetry';
export { isShuttingDown } from './lifecycle';
export { addAuditSpanEvent, type AuditSpanEventFields } from './audit-span-event';
export { instrumentDialect, type DbTelemetryOptions } from './db/instrument-dialect';
export { logSlowQuery } from './db/slow-query-log';
export { SERVICE_VERSION, browserTelemetryConfig, telemetryConfig } from './service-info';
