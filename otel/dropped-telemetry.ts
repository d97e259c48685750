import type { ResourceMetrics, PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { Logger } from 'pino';
import { ATTR_EVENT_NAME, EVENT_OTEL_DROPPED } from './semconv';

export type TelemetrySignal = 'spans' | 'logs' | 'metrics';
export type DropReason = 'queue_full' | 'export_failed';

const UNITS: Record<TelemetrySignal, string> = { spans: 'spans', logs: 'log records', metrics: 'metric data points' };

/**
 * What the layer could not deliver, per signal and reason, reported as ONE `otel.dropped` warning per interval while
 * anything was dropped (and nothing while nothing was): an operator sees how much is missing, not a line per batch.
 */
export class DroppedTelemetry {
  private counts = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  count(signal: TelemetrySignal, reason: DropReason, n: number): void {
    if (n <= 0) return;
    const key = `${signal}.${reason}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + n);
  }

  /** The counts since the last report, and a fresh start. */
  take(): Map<string, number> {
    const taken = this.counts;
    this.counts = new Map();
    return taken;
  }

  startReporting(logger: Logger, intervalMs: number): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.report(logger, intervalMs), intervalMs);
    this.timer.unref();
  }

  /** The last report, at shutdown (what the final flush could not deliver). */
  stop(logger: Logger, intervalMs: number): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.report(logger, intervalMs);
  }

  private report(logger: Logger, intervalMs: number): void {
    const counts = this.take();
    if (counts.size === 0) return;
    const fields: Record<string, unknown> = { [ATTR_EVENT_NAME]: EVENT_OTEL_DROPPED, interval_ms: intervalMs };
    const totals: Partial<Record<TelemetrySignal, number>> = {};
    for (const [key, n] of counts) {
      fields[`otel.dropped.${key}`] = n;
      const signal = key.split('.')[0] as TelemetrySignal;
      totals[signal] = (totals[signal] ?? 0) + n;
    }
    const summary = (Object.keys(totals) as TelemetrySignal[]).map((signal) => `${totals[signal]} ${UNITS[signal]}`).join(', ');
    logger.warn(fields, `telemetry dropped in the last ${Math.round(intervalMs / 1000)} s: ${summary}`);
  }
}

function dataPoints(metrics: ResourceMetrics): number {
  let n = 0;
  for (const scope of metrics.scopeMetrics) for (const metric of scope.metrics) n += metric.dataPoints.length;
  return n;
}

/** Counts the data points of every metric export that failed (the reader drops them: the next export starts afresh). */
export class CountingMetricExporter implements PushMetricExporter {
  constructor(
    private readonly inner: PushMetricExporter,
    private readonly dropped: DroppedTelemetry,
  ) {}

  export(metrics: ResourceMetrics, resultCallback: (result: ExportResult) => void): void {
    this.inner.export(metrics, (result) => {
      if (result.code !== ExportResultCode.SUCCESS) this.dropped.count('metrics', 'export_failed', dataPoints(metrics));
      resultCallback(result);
    });
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  selectAggregationTemporality = (...args: Parameters<NonNullable<PushMetricExporter['selectAggregationTemporality']>>) =>
    this.inner.selectAggregationTemporality!(...args);

  selectAggregation = (...args: Parameters<NonNullable<PushMetricExporter['selectAggregation']>>) => this.inner.selectAggregation!(...args);
}
