import packageJson from '../package.json' with { type: 'json' };
import { parseTelemetryConfig, type TelemetryConfig } from './config';

export const SERVICE_VERSION: string = packageJson.version;

let cached: TelemetryConfig | undefined;

/** The process's telemetry configuration, parsed once from the environment. */
export function telemetryConfig(): TelemetryConfig {
  cached ??= parseTelemetryConfig(process.env, SERVICE_VERSION);
  return cached;
}
