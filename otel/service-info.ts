import packageJson from '../package.json' with { type: 'json' };
import { parseTelemetryConfig, type TelemetryConfig } from './config';
import type { SentryBrowserConfig } from './sentry/config';

export const SERVICE_VERSION: string = packageJson.version;

const configKey = Symbol.for('drop.telemetryConfig');
type GlobalWithConfig = typeof globalThis & { [configKey]?: TelemetryConfig };

/**
 * The process's telemetry configuration, parsed once from the environment (on globalThis: Next bundles
 * instrumentation and each route separately); register() logs its warnings once at boot.
 */
export function telemetryConfig(): TelemetryConfig {
  const g = globalThis as GlobalWithConfig;
  g[configKey] ??= parseTelemetryConfig(process.env, SERVICE_VERSION);
  return g[configKey];
}

/** What the browser's monitoring needs, from the same one configuration (GET /api/client-config). */
export function browserTelemetryConfig(): { sentry: SentryBrowserConfig | undefined } {
  return { sentry: telemetryConfig().browserSentry };
}
