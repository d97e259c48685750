import { AsyncLocalStorage } from 'node:async_hooks';
import diagnosticsChannel from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import type { Span, SpanContext } from '@opentelemetry/api';
import { newRequestId } from './correlation';
import { currentTraceIds } from './trace-context';

/**
 * The request scope: one per incoming HTTP request, opened by the layer before Next sees the request, and the one
 * place every sink takes the request's id from (log lines through the logger's mixin, the access line, the
 * `x-request-id` header, the audit row, Sentry tags). The id is the trace id of the request's server span when
 * tracing is on, a random id of the same shape when it is off — never a value the caller chose unless the caller is
 * trusted (otel/http/trusted-propagator.ts).
 */
export interface RequestScope {
  readonly request: IncomingMessage;
  /** Set by the first server span of the request (otel/http/server-span-processor.ts), else on first read. */
  requestId: string | undefined;
  /** Next's request span: where the request's HTTP attributes go. */
  serverSpan: Span | undefined;
  /**
   * The traceparent header as the caller sent it. Next writes its own into the request's headers for the render
   * pass after the proxy; a value that differs from this one was written by the server, not the caller.
   */
  readonly incomingTraceparent: string | undefined;
  /** A traceparent from an untrusted caller: the request's new trace links to it. */
  untrustedParent: SpanContext | undefined;
}

const storageKey = Symbol.for('drop.requestScope');
const installedKey = Symbol.for('drop.requestScope.installed');
type GlobalWithScope = typeof globalThis & { [storageKey]?: AsyncLocalStorage<RequestScope>; [installedKey]?: boolean };

/** On globalThis: Next bundles instrumentation and each route separately, and all must read the same store. */
function storage(): AsyncLocalStorage<RequestScope> {
  const g = globalThis as GlobalWithScope;
  g[storageKey] ??= new AsyncLocalStorage<RequestScope>();
  return g[storageKey];
}

export function currentRequestScope(): RequestScope | undefined {
  return storage().getStore();
}

function newScope(request: IncomingMessage): RequestScope {
  const traceparent = request.headers.traceparent;
  return {
    request,
    requestId: undefined,
    serverSpan: undefined,
    incomingTraceparent: Array.isArray(traceparent) ? traceparent[0] : traceparent,
    untrustedParent: undefined,
  };
}

/** Runs `fn` in a request scope of its own (what the HTTP server does for every request; tests use it directly). */
export function runInRequestScope<T>(request: IncomingMessage, fn: () => T): T {
  return storage().run(newScope(request), fn);
}

/**
 * Opens a scope for every request Node's HTTP server receives. Node publishes `http.server.request.start`
 * synchronously just before it emits `request`, so the store entered here is the one Next's handler, its spans and
 * everything the request awaits run in.
 */
export function installRequestScope(): void {
  const g = globalThis as GlobalWithScope;
  if (g[installedKey]) return;
  g[installedKey] = true;
  diagnosticsChannel.subscribe('http.server.request.start', (message) => {
    storage().enterWith(newScope((message as { request: IncomingMessage }).request));
  });
}

/**
 * The request's id: the scope's (its server span's trace id, or a random id without tracing); outside any request,
 * the active span's trace id; undefined outside both.
 */
export function currentRequestId(): string | undefined {
  const scope = currentRequestScope();
  if (!scope) return currentTraceIds()?.traceId;
  scope.requestId ??= currentTraceIds()?.traceId ?? newRequestId();
  return scope.requestId;
}
