/** An OTLP/HTTP endpoint given in code: a full per-signal URL and its headers (Sentry's auth header). */
export interface OtlpEndpoint {
  url: string;
  headers: Record<string, string>;
}

/** Per-signal endpoints that replace the OTEL_EXPORTER_OTLP_* ones; a signal left out uses those variables. */
export interface OtlpEndpointOverrides {
  traces?: OtlpEndpoint;
  logs?: OtlpEndpoint;
}

/** Which OTLP endpoint variables are set (TelemetryConfig.otlpEndpoints). */
export interface OtlpEndpointsConfigured {
  any: boolean;
  traces: boolean;
  logs: boolean;
}

/**
 * Without a collector (no OTEL_EXPORTER_OTLP_ENDPOINT, nor the signal's own endpoint variable) traces and logs go
 * straight to Sentry's OTLP ingest. `tracesEndpoint` is `Sentry.getOtlpTracesEndpoint(dsn)`; Sentry's logs
 * endpoint is its sibling (`…/integration/otlp/v1/logs/`, the URL listed on the DSN's settings page). With a
 * collector, nothing is overridden: the collector forwards both to Sentry itself (otel-collector.yaml).
 */
export function sentryOtlpOverrides(tracesEndpoint: OtlpEndpoint | undefined, configured: OtlpEndpointsConfigured): OtlpEndpointOverrides {
  if (!tracesEndpoint || configured.any) return {};
  const overrides: OtlpEndpointOverrides = {};
  if (!configured.traces) overrides.traces = tracesEndpoint;
  if (!configured.logs) {
    overrides.logs = { url: tracesEndpoint.url.replace(/\/v1\/traces\/?$/, '/v1/logs/'), headers: tracesEndpoint.headers };
  }
  return overrides;
}
