import { startBrowserMonitoring } from '@otel/browser';

// Runs before hydration. Tiny on purpose: the Sentry SDK is fetched only when the server configures a DSN.
startBrowserMonitoring();
