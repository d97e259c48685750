import type { SentryBrowserConfig } from '../sentry/config';

/** Errors that happen before the SDK is loaded; bounded, and dropped when Sentry turns out not to be configured. */
const MAX_EARLY_ERRORS = 20;

/**
 * Starts the browser's monitoring: asks the server for its settings (GET /api/client-config, so the DSN is a
 * run-time setting and one build serves every environment) and loads Sentry only when there is a DSN. Errors
 * raised before then are kept and sent once the SDK is up. Never throws.
 */
export function startBrowserMonitoring(configUrl = '/api/client-config'): void {
  const early: unknown[] = [];
  const onError = (event: ErrorEvent) => {
    if (early.length < MAX_EARLY_ERRORS) early.push(event.error ?? event.message);
  };
  const onRejection = (event: PromiseRejectionEvent) => {
    if (early.length < MAX_EARLY_ERRORS) early.push(event.reason);
  };
  window.addEventListener('error', onError);
  window.addEventListener('unhandledrejection', onRejection);
  const stopBuffering = () => {
    window.removeEventListener('error', onError);
    window.removeEventListener('unhandledrejection', onRejection);
  };

  fetch(configUrl, { credentials: 'omit' })
    .then((res) => (res.ok ? (res.json() as Promise<{ sentry?: SentryBrowserConfig | null }>) : undefined))
    .then(async (body) => {
      if (!body?.sentry) return;
      const { startBrowserSentry } = await import('./sentry');
      const sentry = startBrowserSentry(body.sentry);
      stopBuffering();
      for (const error of early) sentry.captureException(error, { mechanism: { type: 'drop.early', handled: false } });
    })
    .catch(() => undefined)
    .finally(() => {
      stopBuffering();
      early.length = 0;
    });
}
