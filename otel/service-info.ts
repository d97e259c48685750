import packageJson from '../package.json' with { type: 'json' };
import { parseTelemetryConfig, samplingRatio, type TelemetryConfig } from './config';
import { parseSentryBrowserConfig, type SentryBrowserConfig } from './sentry/config';

export const SERVICE_VERSION: string = packageJson.version;

const configKey = Symbol.for('drop.telemetryConfig');
const browserKey = Symbol.for('drop.browserTelemetryConfig');
type GlobalWithConfig = typeof globalThis & {
  [configKey]?: TelemetryConfig;
  [browserKey]?: { sentry: SentryBrowserConfig | undefined };
};

/**
 * The process's telemetry configuration, parsed once from the environment (on globalThis: Next bundles
 * instrumentation and each route separately); register() logs its warnings once at boot.
 */
export function telemetryConfig(): TelemetryConfig {
  const g = globalThis as GlobalWithConfig;
  g[configKey] ??= parseTelemetryConfig(process.env, SERVICE_VERSION);
  return g[configKey];
}

/** What the browser's monitoring needs, from this process's environment at run time (GET /api/client-config). */
export function browserTelemetryConfig(): { sentry: SentryBrowserConfig | undefined } {
  const g = globalThis as GlobalWithConfig;
  g[browserKey] ??= { sentry: parseSentryBrowserConfig(process.env, SERVICE_VERSION, samplingRatio(telemetryConfig().tracesSampler)) };
  return g[browserKey];
}
