import { SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_URL_PATH,
} from '@opentelemetry/semantic-conventions';
import { ATTR_ENDUSER_ID } from '@opentelemetry/semantic-conventions/incubating';
import { getLogger } from '../logger';
import { httpServerDuration } from '../metrics';
import { reportError } from '../sentry/error-reporter';
import { CORRELATION, newRequestId } from '../correlation';
import { currentTraceIds } from '../trace-context';
import { decodeURIComponentSafe } from '../decode-uri';

export interface RequestOutcome {
  status: number;
  userId?: string;
  /** The unexpected error behind a 5xx, if any. */
  error?: unknown;
}

/**
 * The route's pattern from its concrete path: segments equal to a dynamic param's value become `[name]`
 * (`/api/transfers/3f…/confirm` with `{id:'3f…'}` → `/api/transfers/[id]/confirm`), so `http.route`
 * has low cardinality without every route declaring its own path.
 */
export function routePattern(path: string, params: Record<string, string>): string {
  const byValue = new Map(Object.entries(params).map(([name, value]) => [value, name]));
  if (byValue.size === 0) return path;
  return path
    .split('/')
    .map((segment) => {
      const name = byValue.get(decodeURIComponentSafe(segment));
      return name ? `[${name}]` : segment;
    })
    .join('/');
}

export interface RequestTelemetry {
  /** The trace id of this request (a random one without a trace), also sent as `x-request-id`. */
  readonly requestId: string;
  setRoute(route: string): void;
  end(outcome: RequestOutcome): void;
}

/**
 * One API request's telemetry: attributes on the active (Next) span, exactly one access log line, the
 * `http.server.request.duration` histogram, and — for an unexpected error behind a 5xx — exactly one Sentry event.
 * The wrapper turns such errors into 500 responses, so Next's onRequestError never sees them: this is their
 * only way to Sentry. Expected errors (4xx) are never reported.
 */
export function beginRequest(method: string, path: string): RequestTelemetry {
  const started = performance.now();
  const span: Span | undefined = trace.getActiveSpan();
  const traceId = currentTraceIds()?.traceId;
  const requestId = traceId ?? newRequestId();
  let route = path;
  let ended = false;
  return {
    requestId,
    setRoute(value) {
      route = value;
      span?.setAttribute(ATTR_HTTP_ROUTE, value);
    },
    end({ status, userId, error }) {
      if (ended) return;
      ended = true;
      const durationMs = performance.now() - started;
      if (userId) span?.setAttribute(ATTR_ENDUSER_ID, userId);
      span?.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
      if (status >= 500) {
        const errorType = error instanceof Error ? error.name : String(status);
        span?.setAttribute(ATTR_ERROR_TYPE, errorType);
        if (error instanceof Error) span?.recordException(error);
        span?.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : undefined });
      }
      const fields: Attributes & Record<string, unknown> = {
        'event.name': 'http.access',
        [ATTR_HTTP_REQUEST_METHOD]: method,
        [ATTR_URL_PATH]: path,
        [ATTR_HTTP_ROUTE]: route,
        [ATTR_HTTP_RESPONSE_STATUS_CODE]: status,
        duration_ms: Math.round(durationMs * 10) / 10,
      };
      if (userId) fields[ATTR_ENDUSER_ID] = userId;
      // With a trace, instrumentation-pino writes trace_id itself.
      if (!traceId) fields[CORRELATION.logKey] = requestId;
      const logger = getLogger();
      if (status >= 500 && error !== undefined) {
        reportError(error, { requestId, route, method, userId, mechanism: 'drop.route' });
      }
      if (status >= 500) logger.error({ ...fields, err: error }, `${method} ${route} ${status}`);
      else logger.info(fields, `${method} ${route} ${status}`);
      const metricAttributes: Attributes = {
        [ATTR_HTTP_REQUEST_METHOD]: method,
        [ATTR_HTTP_ROUTE]: route,
        [ATTR_HTTP_RESPONSE_STATUS_CODE]: status,
      };
      if (status >= 500) metricAttributes[ATTR_ERROR_TYPE] = String(status);
      httpServerDuration().record(durationMs / 1000, metricAttributes);
    },
  };
}
