import type { IncomingMessage } from 'node:http';
import { SpanKind, trace, type Attributes, type Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import { currentRequestScope } from '../request-scope';
import {
  ATTR_DROP_TRACE_PARENT_UNTRUSTED,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_PATH,
  ATTR_URL_QUERY,
  ATTR_URL_SCHEME,
  DEPRECATED_ATTR_HTTP_METHOD,
  DEPRECATED_ATTR_HTTP_STATUS_CODE,
  DEPRECATED_ATTR_HTTP_TARGET,
} from '../semconv';

const KNOWN_METHODS = new Set(['CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'QUERY', 'TRACE']);

/** `http.request.method` as the conventions want it: a known method, or `_OTHER` (bounded cardinality). */
export function normalizeMethod(method: string | undefined): string {
  const upper = (method ?? '').toUpperCase();
  return KNOWN_METHODS.has(upper) ? upper : '_OTHER';
}

/** Host header → server.address / server.port (IPv6 literals in brackets). */
export function hostParts(host: string | undefined): { address?: string; port?: number } {
  if (!host) return {};
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(host.trim());
  if (!match) return {};
  const address = match[1]!.replace(/^\[|\]$/g, '');
  return match[2] ? { address, port: Number(match[2]) } : { address };
}

/** `url.scheme`: https on a TLS socket or behind a proxy that says so (X-Forwarded-Proto), else http. */
export function schemeOf(request: IncomingMessage): string {
  if ((request.socket as { encrypted?: boolean } | undefined)?.encrypted) return 'https';
  const forwarded = request.headers['x-forwarded-proto'];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim().toLowerCase();
  return first === 'https' ? 'https' : 'http';
}

/**
 * Next's request span is the server span, and Next names its HTTP attributes the deprecated way (`http.method`,
 * `http.target`, `http.status_code`). At its start this processor adds the stable ones from the request itself
 * (method, path, scheme, server address), records the span in the request scope (its trace id becomes the request
 * id) and links it to an untrusted caller's traceparent; while it ends, the status is renamed. The deprecated names
 * are removed from every span, so a backend sees each fact once, under its stable name.
 */
export class ServerSpanProcessor implements SpanProcessor {
  onStart(span: Span, parentContext: Context): void {
    const attributes = span.attributes as Attributes;
    if (span.kind !== SpanKind.SERVER || attributes[DEPRECATED_ATTR_HTTP_METHOD] === undefined) {
      delete attributes[DEPRECATED_ATTR_HTTP_METHOD];
      delete attributes[DEPRECATED_ATTR_HTTP_TARGET];
      return;
    }
    const scope = currentRequestScope();
    const target = String(attributes[DEPRECATED_ATTR_HTTP_TARGET] ?? scope?.request.url ?? '/');
    delete attributes[DEPRECATED_ATTR_HTTP_METHOD];
    delete attributes[DEPRECATED_ATTR_HTTP_TARGET];
    const stable: Attributes = {
      [ATTR_HTTP_REQUEST_METHOD]: normalizeMethod(scope?.request.method),
      [ATTR_URL_PATH]: target.split('?')[0],
    };
    // url.query is conditionally required when the request had one; its secret-named values are masked on export
    // (the redacting span processor, the shared policy).
    const queryAt = target.indexOf('?');
    if (queryAt >= 0 && queryAt < target.length - 1) stable[ATTR_URL_QUERY] = target.slice(queryAt + 1);
    if (scope) {
      const { request } = scope;
      stable[ATTR_URL_SCHEME] = schemeOf(request);
      const { address, port } = hostParts(request.headers.host);
      if (address) stable[ATTR_SERVER_ADDRESS] = address;
      if (port) stable[ATTR_SERVER_PORT] = port;
      const { traceId } = span.spanContext();
      if (!scope.serverSpan) {
        scope.serverSpan = span;
        scope.requestId ??= traceId;
      }
      if (scope.untrustedParent && !trace.getSpanContext(parentContext)) {
        span.addLink({ context: scope.untrustedParent, attributes: { [ATTR_DROP_TRACE_PARENT_UNTRUSTED]: true } });
      }
    }
    span.setAttributes(stable);
  }

  onEnding(span: Span): void {
    const attributes = span.attributes as Attributes;
    // Next sets some of them after the start too (the app-route handler sets http.target on the request span).
    delete attributes[DEPRECATED_ATTR_HTTP_METHOD];
    delete attributes[DEPRECATED_ATTR_HTTP_TARGET];
    const status = attributes[DEPRECATED_ATTR_HTTP_STATUS_CODE];
    if (status === undefined) return;
    delete attributes[DEPRECATED_ATTR_HTTP_STATUS_CODE];
    if (span.kind === SpanKind.SERVER && attributes[ATTR_HTTP_RESPONSE_STATUS_CODE] === undefined) {
      attributes[ATTR_HTTP_RESPONSE_STATUS_CODE] = status;
    }
  }

  onEnd(_span: ReadableSpan): void {}

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
