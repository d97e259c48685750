import { trace, isSpanContextValid } from '@opentelemetry/api';

export interface TraceIds {
  traceId: string;
  spanId: string;
}

/**
 * The active span's ids: the request id of everything Drop records (logs, audit rows, Sentry, alerts).
 * Undefined outside a traced request or when the SDK is disabled.
 */
export function currentTraceIds(): TraceIds | undefined {
  const ctx = trace.getActiveSpan()?.spanContext();
  if (!ctx || !isSpanContextValid(ctx)) return undefined;
  return { traceId: ctx.traceId, spanId: ctx.spanId };
}
