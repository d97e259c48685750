import { SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import { getLogger } from '../logger';
import { httpServerDuration } from '../metrics';
import { reportError } from '../sentry/error-reporter';
import { currentRequestId, currentRequestScope } from '../request-scope';
import { newRequestId } from '../correlation';
import { decodeURIComponentSafe } from '../decode-uri';
import {
  ATTR_ERROR_TYPE,
  ATTR_EVENT_NAME,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
  ATTR_USER_ID,
  EVENT_HTTP_ACCESS,
} from '../semconv';
import { normalizeMethod, schemeOf } from './server-span-processor';

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
  // The request's server span (Next's), not the handler span active here: HTTP attributes belong on the former.
  const scope = currentRequestScope();
  const span: Span | undefined = scope?.serverSpan ?? trace.getActiveSpan();
  const requestId = currentRequestId() ?? newRequestId();
  const scheme = scope ? schemeOf(scope.request) : 'http';
  const httpMethod = normalizeMethod(method);
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
      if (userId) span?.setAttribute(ATTR_USER_ID, userId);
      span?.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
      if (status >= 500) {
        const errorType = error instanceof Error ? error.name : String(status);
        span?.setAttribute(ATTR_ERROR_TYPE, errorType);
        if (error instanceof Error) span?.recordException(error);
        span?.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : undefined });
      }
      const fields: Attributes & Record<string, unknown> = {
        [ATTR_EVENT_NAME]: EVENT_HTTP_ACCESS,
        [ATTR_HTTP_REQUEST_METHOD]: httpMethod,
        [ATTR_URL_PATH]: path,
        [ATTR_HTTP_ROUTE]: route,
        [ATTR_HTTP_RESPONSE_STATUS_CODE]: status,
        duration_ms: Math.round(durationMs * 10) / 10,
      };
      if (userId) fields[ATTR_USER_ID] = userId;
      const logger = getLogger();
      if (status >= 500 && error !== undefined) {
        reportError(error, { requestId, route, method, userId, mechanism: 'drop.route' });
      }
      if (status >= 500) logger.error({ ...fields, err: error }, `${method} ${route} ${status}`);
      else logger.info(fields, `${method} ${route} ${status}`);
      const metricAttributes: Attributes = {
        [ATTR_URL_SCHEME]: scheme,
        [ATTR_HTTP_REQUEST_METHOD]: httpMethod,
        [ATTR_HTTP_ROUTE]: route,
        [ATTR_HTTP_RESPONSE_STATUS_CODE]: status,
      };
      if (status >= 500) metricAttributes[ATTR_ERROR_TYPE] = String(status);
      httpServerDuration().record(durationMs / 1000, metricAttributes);
    },
  };
}
