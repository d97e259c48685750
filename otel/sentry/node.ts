import * as Sentry from '@sentry/node';
import { CORRELATION } from '../correlation';
import type { SentryServerConfig } from './config';
import { setErrorReporter, type ErrorContext } from './error-reporter';
import type { OtlpEndpoint } from './otlp-endpoints';
import { scrubBreadcrumb, scrubEvent } from './scrub';

/**
 * Sentry for the Node.js server, on top of the layer's OpenTelemetry SDK. Loaded only with SENTRY_DSN set
 * (otel/register.ts imports this file dynamically), so without a DSN @sentry/node is never even required.
 *
 * - Errors only. Tracing stays with OpenTelemetry: Sentry registers no tracer provider (enableOpenTelemetrySetup
 *   is false, v11's default, stated here on purpose), samples nothing and creates no spans of its own;
 *   `openTelemetryIntegration()` stamps every event with the active OTel span's trace and span ids, so an event
 *   sits on the same trace as the request's spans and log lines.
 * - Integrations are chosen one by one, like the OTel instrumentations (otel/sdk.ts): error capture and context,
 *   request isolation, and nothing that patches outgoing HTTP, propagates its own headers or traces.
 * - Data collection is minimal (the request's query string, but no body, cookie or user detail), and every event,
 *   transaction and breadcrumb passes the shared redaction policy (scrub.ts).
 */

/** Request headers worth having on an event; everything else (cookies, authorization, csrf) is never collected. */
const COLLECTED_REQUEST_HEADERS = ['user-agent', 'content-type', 'content-length', 'accept', 'host', CORRELATION.header];

function integrations() {
  return [
    // Event basics: inbound filters, error.cause chains, no identical event twice in a row.
    Sentry.eventFiltersIntegration(),
    Sentry.functionToStringIntegration(),
    Sentry.linkedErrorsIntegration(),
    Sentry.dedupeIntegration(),
    // One isolation scope per incoming request (breadcrumbs and request data never leak between requests), and
    // the request's method and URL on its events. No sessions, no bodies.
    Sentry.httpServerIntegration({ sessions: false, maxRequestBodySize: 'none' }),
    Sentry.requestDataIntegration(),
    // Errors nobody caught. Next keeps the process alive and prints them itself: 'none' adds no second print.
    Sentry.onUncaughtExceptionIntegration(),
    Sentry.onUnhandledRejectionIntegration({ mode: 'none' }),
    // Context: source lines around frames, Node and OS versions, errno details, console lines as breadcrumbs.
    Sentry.contextLinesIntegration(),
    Sentry.nodeContextIntegration(),
    Sentry.systemErrorIntegration(),
    Sentry.consoleIntegration(),
    Sentry.openTelemetryIntegration(),
  ];
}

/** Sentry's OTLP traces URL and auth header for the DSN, for the layer's own trace exporter. */
export function sentryOtlpTracesEndpoint(dsn: string): OtlpEndpoint | undefined {
  return Sentry.getOtlpTracesEndpoint(dsn);
}

function capture(error: unknown, context: ErrorContext): void {
  Sentry.withScope((scope) => {
    if (context.userId) scope.setUser({ id: context.userId });
    if (context.requestId) scope.setTag(CORRELATION.sentryTag, context.requestId);
    if (context.route) scope.setTag('route', context.route);
    if (context.method) scope.setTag('method', context.method);
    if (context.method && context.route) scope.setTransactionName(`${context.method} ${context.route}`);
    Sentry.captureException(error, { mechanism: { type: context.mechanism, handled: false } });
  });
}

export function startSentry(config: SentryServerConfig): void {
  Sentry.init({
    dsn: config.dsn,
    environment: config.environment,
    release: config.release,
    defaultIntegrations: false,
    integrations: integrations(),
    enableOpenTelemetrySetup: false,
    // No module-loader hooks: Drop uses none of the frameworks they rewrite, and they cost at every require.
    enableRuntimeChannelInjection: false,
    // Sentry would read SENTRY_TRACES_SAMPLE_RATE itself when this is undefined, and trace on its own; null is its
    // "not set" that stops that fallback. The variable configures the OTel sampler instead (otel/config.ts).
    tracesSampleRate: null as unknown as undefined,
    dataCollection: {
      userInfo: false,
      cookies: false,
      httpHeaders: { request: { allow: COLLECTED_REQUEST_HEADERS }, response: false },
      httpBodies: [],
      // The request's query string and URL with it, on the event: beforeSend masks its secret-named values with the
      // shared policy (scrub.ts). The SDK's own filter of the names it knows (`[Filtered]`) cannot be turned off.
      urlQueryParams: true,
      stackFrameVariables: false,
      databaseQueryData: false,
      queues: false,
      genAI: { inputs: false, outputs: false },
      mcp: { inputs: false, outputs: false },
      graphQL: { document: false, variables: false },
    },
    // No beforeSendTransaction: this client sends no transactions, and v11 ignores that hook (with a console
    // warning) under its default span streaming; spans would pass beforeSendSpan, which the browser sets.
    beforeSend: (event) => scrubEvent(event),
    beforeBreadcrumb: (breadcrumb) => scrubBreadcrumb(breadcrumb),
  });
  setErrorReporter({
    capture,
    async flush(timeoutMs) {
      await Sentry.flush(timeoutMs).catch(() => false);
    },
  });
}
