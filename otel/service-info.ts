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

/**
 * Another OpenTelemetry SDK registered itself before the layer booted (e.g. `node --import` of a set-up of one's
 * own): the layer then starts no SDK and sends no log records, and the other SDK records what it records.
 */
export function yieldToForeignSdk(): TelemetryConfig {
  const g = globalThis as GlobalWithConfig;
  g[configKey] = { ...telemetryConfig(), disabled: true };
  return g[configKey];
}

const OTEL_API_GLOBAL = Symbol.for('opentelemetry.js.api.1');

/** True when a tracer provider is registered with the OpenTelemetry API already (the API's global registry). */
export function foreignSdkRegistered(): boolean {
  const registry = (globalThis as Record<symbol, { trace?: unknown } | undefined>)[OTEL_API_GLOBAL];
  return registry?.trace !== undefined;
}
