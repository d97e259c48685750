import { browserTracingIntegration, captureException, init } from '@sentry/browser';
import type { SentryBrowserConfig } from '../sentry/config';
import { scrubBreadcrumb, scrubEvent, scrubSpan } from '../sentry/scrub';

/**
 * Sentry in the browser, loaded on demand by otel/browser/start.ts only when the server hands out a DSN: no
 * byte of the SDK is in the pages' main bundle.
 *
 * - Errors: the SDK's global handlers (uncaught errors, unhandled rejections), scrubbed like the server's.
 * - One trace: same-origin fetches (every /api call) carry `traceparent`, and the server's parent-based sampler
 *   follows the browser's decision, so the browser's error, its spans and the server's spans, logs and error
 *   share one trace id. The browser heads that trace and samples at the server's ratio.
 */
export function startBrowserSentry(config: SentryBrowserConfig): { captureException: typeof captureException } {
  init({
    dsn: config.dsn,
    environment: config.environment,
    release: config.release,
    integrations: [browserTracingIntegration()],
    tracesSampleRate: config.tracesSampleRate,
    // tracePropagationTargets is left at its browser default, this origin only: no header goes to third parties.
    propagateTraceparent: true,
    dataCollection: {
      userInfo: false,
      cookies: false,
      httpHeaders: false,
      httpBodies: [],
      urlQueryParams: false,
      stackFrameVariables: false,
    },
    beforeSend: (event) => scrubEvent(event),
    // Spans are streamed (v11's default lifecycle): beforeSendSpan is their hook; beforeSendTransaction would be
    // ignored, with a console warning.
    beforeSendSpan: (span) => scrubSpan(span),
    beforeBreadcrumb: (breadcrumb) => scrubBreadcrumb(breadcrumb),
  });
  return { captureException };
}
