/**
 * The seam between the places that see unexpected errors (the route wrapper's request telemetry, Next's
 * onRequestError) and Sentry. It imports no SDK: with SENTRY_DSN unset nothing registers a reporter, every call
 * is a no-op, and @sentry/node is never loaded.
 *
 * The reporter lives on globalThis: Next bundles src/instrumentation.ts and each route separately, so module state
 * would not be shared between them.
 */

export interface ErrorContext {
  /** The request's trace id, also its `x-request-id`; becomes the `request_id` tag. */
  requestId?: string;
  /** `http.route`, e.g. /api/transfers/[id]/confirm, or the page's route path. */
  route?: string;
  method?: string;
  /** The signed-in user's id; never an email. */
  userId?: string;
  /** Where the error was caught, e.g. `drop.route` or `next.onRequestError`. */
  mechanism: string;
}

export interface ErrorReporter {
  capture(error: unknown, context: ErrorContext): void;
  /** Sends what is queued; resolves within `timeoutMs` whatever the network does. */
  flush(timeoutMs: number): Promise<void>;
}

const reporterKey = Symbol.for('drop.errorReporter');
type GlobalWithReporter = typeof globalThis & { [reporterKey]?: ErrorReporter };

export function setErrorReporter(reporter: ErrorReporter | undefined): void {
  (globalThis as GlobalWithReporter)[reporterKey] = reporter;
}

export function errorReporter(): ErrorReporter | undefined {
  return (globalThis as GlobalWithReporter)[reporterKey];
}

/** Sends one unexpected error to Sentry, when it is configured. Never throws: reporting must not break a response. */
export function reportError(error: unknown, context: ErrorContext): void {
  try {
    errorReporter()?.capture(error, context);
  } catch {
    // The SDK failing is not the request's problem; its own diagnostics say why.
  }
}
