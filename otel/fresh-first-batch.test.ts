import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { describe, expect, it } from 'vitest';
import { DroppedTelemetry } from './dropped-telemetry';
import { FreshFirstQueue } from './fresh-first-batch';

/** An exporter that records what it is given, and fails while `down`. */
function recordingExporter() {
  const batches: number[][] = [];
  const state = { down: false };
  return {
    state,
    batches,
    export(items: number[], done: (result: ExportResult) => void) {
      setImmediate(() => {
        if (state.down) return done({ code: ExportResultCode.FAILED });
        batches.push(items);
        done({ code: ExportResultCode.SUCCESS });
      });
    },
    shutdown: () => Promise.resolve(),
  };
}

const settings = { maxQueueSize: 10, maxExportBatchSize: 4, scheduledDelayMillis: 10_000, exportTimeoutMillis: 1_000 };

describe('FreshFirstQueue', () => {
  it('backend down: failed batches stay queued, the oldest are dropped and counted; after recovery newest first', async () => {
    const exporter = recordingExporter();
    exporter.state.down = true;
    const dropped = new DroppedTelemetry();
    const queue = new FreshFirstQueue(exporter, settings, 'logs', dropped);
    // Down: each full batch is tried and put back; the queue keeps the newest 10.
    for (let i = 1; i <= 30; i++) queue.add(i);
    await new Promise((r) => setTimeout(r, 50));
    exporter.state.down = false;
    queue.add(31);
    await queue.forceFlush();
    const delivered = exporter.batches.flat();
    // The freshest item is delivered, and first: the first batch holds the newest items.
    expect(exporter.batches[0]).toContain(31);
    for (let k = 1; k < exporter.batches.length; k++) {
      expect(Math.min(...exporter.batches[k - 1]!)).toBeGreaterThan(Math.max(...exporter.batches[k]!));
    }
    expect(delivered.sort((a, b) => a - b)).toEqual([22, 23, 24, 25, 26, 27, 28, 29, 30, 31]);
    expect(dropped.take()).toEqual(new Map([['logs.queue_full', 21]]));
  });

  it('a batch that is not full leaves after the schedule delay, without a flush', async () => {
    const exporter = recordingExporter();
    const queue = new FreshFirstQueue(exporter, { ...settings, scheduledDelayMillis: 20 }, 'spans', new DroppedTelemetry());
    queue.add(1);
    queue.add(2);
    await new Promise((r) => setTimeout(r, 200));
    expect(exporter.batches).toEqual([[1, 2]]);
  });

  it('what shutdown cannot deliver is counted as export_failed, per item', async () => {
    const exporter = recordingExporter();
    exporter.state.down = true;
    const dropped = new DroppedTelemetry();
    const queue = new FreshFirstQueue(exporter, settings, 'spans', dropped);
    for (let i = 0; i < 3; i++) queue.add(i);
    await queue.shutdown();
    expect(dropped.take()).toEqual(new Map([['spans.export_failed', 3]]));
  });

  it('an exporter that never answers counts as failed after the export timeout', async () => {
    const dropped = new DroppedTelemetry();
    const silent = { export: () => undefined, shutdown: () => Promise.resolve() };
    const queue = new FreshFirstQueue<number>(silent, { ...settings, exportTimeoutMillis: 50 }, 'metrics', dropped);
    queue.add(1);
    await queue.shutdown();
    expect(dropped.take()).toEqual(new Map([['metrics.export_failed', 1]]));
  });
});
