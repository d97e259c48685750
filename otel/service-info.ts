import packageJson from '../package.json' with { type: 'json' };
import { parseTelemetryConfig, type TelemetryConfig } from './config';
import { parseSentryBrowserConfig, type SentryBrowserConfig } from './sentry/config';

export const SERVICE_VERSION: string = packageJson.version;

let cached: TelemetryConfig | undefined;
let cachedBrowser: { sentry: SentryBrowserConfig | undefined } | undefined;

/** The process's telemetry configuration, parsed once from the environment. */
export function telemetryConfig(): TelemetryConfig {
  cached ??= parseTelemetryConfig(process.env, SERVICE_VERSION);
  return cached;
}

/** What the browser's monitoring needs, from this process's environment at run time (GET /api/client-config). */
export function browserTelemetryConfig(): { sentry: SentryBrowserConfig | undefined } {
  cachedBrowser ??= { sentry: parseSentryBrowserConfig(process.env, SERVICE_VERSION) };
  return cachedBrowser;
}
