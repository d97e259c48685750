// The operator's path for the app's telemetry, made of the real things: the app exports OTLP to the real collector
// (otel-collector.yaml plus extras files, as docker-compose runs it), which sends traces to a real Jaeger and
// metrics to a real Prometheus. The alert processor, which the base config always exports to, is played by a local
// OTLP receiver (no Sentry values: the base config has no Sentry exporter).
import { afterAll, beforeAll } from 'vitest';
import { freePort } from './app-server';
import { startCollector, type RunningCollector } from './collector-process';
import { startJaeger, type RunningJaeger } from './jaeger-process';
import { startOtlpReceiver, type OtlpReceiver } from './otlp-receiver';
import { startPrometheus, type RunningPrometheus } from './prometheus-process';

export interface TelemetryBackends {
  collector: RunningCollector;
  /** The collector's own metrics (otelcol_*), for failure messages. */
  collectorMetricsUrl: string;
  /** Only with `{ jaeger: true }`. */
  jaeger?: RunningJaeger;
  /** Only with `{ prometheus: true }`. */
  prometheus?: RunningPrometheus;
  /** The app's OTLP settings: every signal to the collector, batches and metric readings every 500 ms. */
  appEnv(): Record<string, string>;
}

/** Starts the backends asked for and the collector in front of them before the file's tests; stops them after. */
export function useTelemetryBackends(wanted: { jaeger?: boolean; prometheus?: boolean }): () => TelemetryBackends {
  let backends: TelemetryBackends | undefined;
  const stops: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    const sinks: OtlpReceiver = await startOtlpReceiver();
    stops.unshift(() => sinks.close());
    const jaeger = wanted.jaeger ? await startJaeger() : undefined;
    if (jaeger) stops.unshift(() => jaeger.stop());
    // The collector's own metrics port is chosen first so that Prometheus can scrape it (the otelcol_* series).
    const collectorMetricsPort = await freePort();
    const prometheus = wanted.prometheus
      ? await startPrometheus({ scrapeTargets: { otelcol: `127.0.0.1:${collectorMetricsPort}` } })
      : undefined;
    if (prometheus) stops.unshift(() => prometheus.stop());

    const configs = ['otel-collector.yaml'];
    if (jaeger) configs.push('otel/collector/examples/extras.jaeger.yaml');
    if (prometheus) configs.push('otel/collector/examples/extras.prometheus.yaml');
    const collector = await startCollector(configs, {
      ALERT_PROCESSOR_ENDPOINT: sinks.url,
      OTEL_COLLECTOR_METRICS_PORT: String(collectorMetricsPort),
      ...(jaeger ? { JAEGER_OTLP_ENDPOINT: jaeger.otlpGrpcEndpoint } : {}),
      ...(prometheus ? { PROMETHEUS_REMOTE_WRITE_ENDPOINT: prometheus.remoteWriteUrl } : {}),
    });
    stops.unshift(() => collector.stop());

    backends = {
      collector,
      collectorMetricsUrl: `http://127.0.0.1:${collectorMetricsPort}/metrics`,
      jaeger,
      prometheus,
      appEnv: () => ({
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.otlpHttpUrl,
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_LOGS_EXPORTER: 'otlp',
        OTEL_METRICS_EXPORTER: 'otlp',
        OTEL_BSP_SCHEDULE_DELAY: '200',
        OTEL_BLRP_SCHEDULE_DELAY: '200',
        OTEL_METRIC_EXPORT_INTERVAL: '500',
      }),
    };
  });

  afterAll(async () => {
    for (const stop of stops.splice(0)) await stop().catch(() => undefined);
  });

  return () => {
    if (!backends) throw new Error('useTelemetryBackends(): not started (is the test inside the describe block?)');
    return backends;
  };
}

/** Polls until the probe returns a value (not undefined/false/empty array), or throws with what it saw last. */
export async function eventually<T>(probe: () => Promise<T | undefined | false>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false && !(Array.isArray(value) && value.length === 0)) return value;
      last = value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
}
