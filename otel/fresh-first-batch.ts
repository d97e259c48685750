import { context, TraceFlags, type Context } from '@opentelemetry/api';
import { ExportResultCode, globalErrorHandler, suppressTracing, type ExportResult } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { LogRecordProcessor, ReadableLogRecord, ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import type { BatchSettings } from './config';
import type { DroppedTelemetry, TelemetrySignal } from './dropped-telemetry';

interface BatchExporter<T> {
  export(items: T[], resultCallback: (result: ExportResult) => void): void;
  shutdown(): Promise<void>;
  forceFlush?(): Promise<void>;
}

/**
 * As the SDK's batch processors do: a resource whose detectors are still running (host.id is read asynchronously) is
 * waited for before its items are exported; reading it earlier is a diag error ("Accessing resource attributes
 * before async attributes settled"), which reaches the log as an ERROR line and so the alert processor.
 */
async function settleResources(items: readonly unknown[]): Promise<void> {
  const pending = new Set<Resource>();
  for (const item of items) {
    const resource = (item as { resource?: Resource }).resource;
    if (resource?.asyncAttributesPending) pending.add(resource);
  }
  await Promise.all([...pending].map((resource) => resource.waitForAsyncAttributes?.()));
}

/**
 * A bounded export queue that keeps the freshest data: when the queue is full the OLDEST item is dropped (the SDK's
 * batch processors drop the newest), batches leave newest first, and a batch the backend did not take goes back
 * into the queue in its place. During a backend outage the queue therefore holds the last `maxQueueSize` items,
 * and after recovery they are sent newest to oldest while what happens from then on always finds room: an
 * operator looking at "now" sees now, not the first minutes of the outage. Every item dropped (evicted as the
 * oldest, or still undelivered at shutdown) is counted; DroppedTelemetry reports the counts once per interval.
 */
export class FreshFirstQueue<T> {
  private queue: T[] = [];
  private exporting: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private evictedDuringExport = 0;
  /** After a failed export, no new attempt before this (epoch ms): a backend that refuses at once is not hammered. */
  private retryAt = 0;
  private stopped = false;

  constructor(
    private readonly exporter: BatchExporter<T>,
    private readonly settings: BatchSettings,
    private readonly signal: TelemetrySignal,
    private readonly dropped: DroppedTelemetry,
  ) {}

  add(item: T): void {
    if (this.stopped) return;
    if (this.queue.length >= this.settings.maxQueueSize) this.evictOldest();
    this.queue.push(item);
    this.exportSoon(this.queue.length >= this.settings.maxExportBatchSize ? 0 : this.settings.scheduledDelayMillis);
  }

  private evictOldest(): void {
    this.queue.shift();
    this.evictedDuringExport += 1;
    this.dropped.count(this.signal, 'queue_full', 1);
  }

  private exportSoon(delayMs: number): void {
    if (this.exporting || this.stopped) return;
    const wait = Math.max(delayMs, this.retryAt - Date.now());
    if (this.timer && wait > 0) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.exportBatches('due');
    }, wait);
    this.timer.unref();
  }

  /**
   * One batch at a time, newest first: `due` while full batches wait, `flush` until the queue is empty (stopping at a
   * failure, the batch kept), `final` until empty at shutdown (a failed batch is then dropped and counted).
   */
  private exportBatches(mode: 'due' | 'flush' | 'final'): Promise<void> {
    this.exporting ??= (async () => {
      try {
        let first = true;
        // `due`: one batch (the timer fired, or a batch is full), then more while full batches wait.
        while (this.queue.length > 0 && (mode !== 'due' || first || this.queue.length >= this.settings.maxExportBatchSize)) {
          first = false;
          const batch = this.queue.splice(Math.max(0, this.queue.length - this.settings.maxExportBatchSize));
          const older = this.queue.length;
          this.evictedDuringExport = 0;
          await settleResources(batch);
          if (await this.exportOne(batch)) continue;
          if (mode === 'final') {
            this.dropped.count(this.signal, 'export_failed', batch.length);
            continue;
          }
          // Back in its place: after what was older, before what arrived while it was out; then the oldest go.
          this.queue.splice(Math.max(0, older - this.evictedDuringExport), 0, ...batch);
          while (this.queue.length > this.settings.maxQueueSize) this.evictOldest();
          this.retryAt = Date.now() + this.settings.scheduledDelayMillis;
          break;
        }
      } finally {
        this.exporting = undefined;
        if (this.queue.length > 0) this.exportSoon(this.settings.scheduledDelayMillis);
      }
    })();
    return this.exporting;
  }

  private exportOne(batch: T[]): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      let settled = false;
      const done = (ok: boolean) => {
        if (settled) return;
        settled = true;
        clearTimeout(timeout);
        resolve(ok);
      };
      const timeout = setTimeout(() => {
        if (!settled) globalErrorHandler(new Error(`${this.signal} export timed out after ${this.settings.exportTimeoutMillis} ms`));
        done(false);
      }, this.settings.exportTimeoutMillis);
      timeout.unref();
      // The exporter's own HTTP request must not be traced (it would feed this queue forever).
      context.with(suppressTracing(context.active()), () => {
        try {
          this.exporter.export(batch, (result) => {
            // Why it failed reaches the log through diag (otel/diag-logger.ts: once a minute per kind).
            if (result.code !== ExportResultCode.SUCCESS) globalErrorHandler(result.error ?? new Error(`${this.signal} export failed`));
            done(result.code === ExportResultCode.SUCCESS);
          });
        } catch {
          done(false);
        }
      });
    });
  }

  async forceFlush(): Promise<void> {
    await this.flush('flush');
  }

  private async flush(mode: 'flush' | 'final'): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.exporting;
    await this.exportBatches(mode);
    await this.exporter.forceFlush?.();
  }

  async shutdown(): Promise<void> {
    await this.flush('final');
    this.stopped = true;
    await this.exporter.shutdown();
  }
}

/** Spans through a FreshFirstQueue (sampled spans only, as the SDK's batch processor). */
export class FreshFirstSpanProcessor implements SpanProcessor {
  private readonly queue: FreshFirstQueue<ReadableSpan>;

  constructor(exporter: BatchExporter<ReadableSpan>, settings: BatchSettings, dropped: DroppedTelemetry) {
    this.queue = new FreshFirstQueue(exporter, settings, 'spans', dropped);
  }

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    this.queue.add(span);
  }

  forceFlush(): Promise<void> {
    return this.queue.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.queue.shutdown();
  }
}

/** Log records through a FreshFirstQueue. */
export class FreshFirstLogRecordProcessor implements LogRecordProcessor {
  private readonly queue: FreshFirstQueue<ReadableLogRecord>;

  constructor(exporter: BatchExporter<ReadableLogRecord>, settings: BatchSettings, dropped: DroppedTelemetry) {
    this.queue = new FreshFirstQueue(exporter, settings, 'logs', dropped);
  }

  onEmit(logRecord: ReadWriteLogRecord): void {
    this.queue.add(logRecord);
  }

  forceFlush(): Promise<void> {
    return this.queue.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.queue.shutdown();
  }
}
