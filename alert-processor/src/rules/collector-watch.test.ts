import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OtlpMetric } from '../intake/otlp/decode';
import { openMigratedStore, type AlertStore } from '../store/database';
import { StateStore } from '../store/state-store';
import { CollectorWatch } from './collector-watch';

let dir: string;
let database: AlertStore;
let store: StateStore;
beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drop-collector-watch-'));
  database = await openMigratedStore({ file: path.join(dir, 'state.db') });
  store = await StateStore.open(database.db);
});
afterEach(async () => {
  await store.flush();
  await database.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const resource = { 'service.name': 'drop-otel-collector', 'service.instance.id': 'c1' };
function counter(name: string, exporter: string, value: number, start = '1000'): OtlpMetric {
  const attributes = { exporter };
  return {
    name,
    unit: '',
    kind: 'sum',
    monotonic: true,
    temporality: 2,
    points: [{ attributes, startTimeUnixNano: start, timeUnixNano: '2000', value }],
    dataPointAttributes: [attributes],
    resource,
    scope: 'go.opentelemetry.io/collector/exporter/exporterhelper',
  };
}

describe('CollectorWatch', () => {
  it('alerts once per exporter when it fails to send, names it and counts the items lost; recovers after it sends again and stays quiet', () => {
    const watch = new CollectorWatch(store, 10_000);
    expect(watch.observe([counter('otelcol_exporter_send_failed_log_records', 'otlp_http/sentry', 0)], 0)).toEqual([]);
    expect(watch.observe([counter('otelcol_exporter_sent_log_records', 'otlp_http/sentry', 50)], 0)).toEqual([]);
    const [alert] = watch.observe([counter('otelcol_exporter_send_failed_log_records', 'otlp_http/sentry', 12)], 1_000);
    expect(alert).toMatchObject({
      type: 'collector_export_failed',
      service: 'drop-otel-collector',
      exporter: 'otlp_http/sentry',
      failed: { log_records: 12 },
    });
    // More failures: counted, not alerted again.
    expect(watch.observe([counter('otelcol_exporter_send_failed_log_records', 'otlp_http/sentry', 20)], 2_000)).toEqual([]);
    // No send yet: not recovered, however long it is quiet.
    expect(watch.tick(60_000)).toEqual([]);
    watch.observe([counter('otelcol_exporter_sent_log_records', 'otlp_http/sentry', 60)], 61_000);
    expect(watch.tick(61_000)).toMatchObject([
      { type: 'collector_export_recovered', exporter: 'otlp_http/sentry', failed: { log_records: 20 } },
    ]);
    expect(watch.tick(70_000)).toEqual([]);
  });

  it('tells a full queue apart, per exporter, and counts a restarted collector from zero', () => {
    const watch = new CollectorWatch(store, 10_000);
    const alerts = watch.observe(
      [
        counter('otelcol_exporter_enqueue_failed_spans', 'otlp_http/vendor', 3),
        counter('otelcol_exporter_send_failed_spans', 'otlp_http/sentry', 0),
      ],
      0,
    );
    expect(alerts).toMatchObject([{ type: 'collector_queue_full', exporter: 'otlp_http/vendor', dropped: { spans: 3 } }]);
    watch.observe([counter('otelcol_exporter_sent_spans', 'otlp_http/vendor', 5)], 1_000);
    watch.observe([counter('otelcol_exporter_sent_spans', 'otlp_http/vendor', 9)], 2_000);
    expect(watch.tick(20_000)).toMatchObject([{ type: 'collector_export_recovered', exporter: 'otlp_http/vendor' }]);
    // The collector restarted (a new start time, the counter back at 2): 2 new drops, a new alert.
    expect(watch.observe([counter('otelcol_exporter_enqueue_failed_spans', 'otlp_http/vendor', 2, '5000')], 30_000)).toMatchObject([
      { type: 'collector_queue_full', dropped: { spans: 2 } },
    ]);
  });

  it('keeps what it counted across a restart of the processor: no second alert, and failures counted while it was away are told', async () => {
    const first = new CollectorWatch(store, 10_000);
    expect(first.observe([counter('otelcol_exporter_send_failed_metric_points', 'otlp_http/vendor', 4)], 0)).toHaveLength(1);
    await store.flush();
    const again = new CollectorWatch(await StateStore.open(database.db), 10_000);
    expect(again.observe([counter('otelcol_exporter_send_failed_metric_points', 'otlp_http/vendor', 9)], 1_000)).toEqual([]);
    // The exporter to this processor failed while it was down: its first push after that shows the count.
    expect(again.observe([counter('otelcol_exporter_send_failed_log_records', 'otlp_http/alert-processor', 7)], 2_000)).toMatchObject([
      { type: 'collector_export_failed', exporter: 'otlp_http/alert-processor', failed: { log_records: 7 } },
    ]);
  });

  it('a fresh state beside a collector that counted before this processor started: its first counts are a baseline', () => {
    const startedAtMs = 10_000_000;
    const before = String(5_000_000 * 1_000_000);
    const watch = new CollectorWatch(store, 10_000, startedAtMs);
    // Old failures: not told.
    expect(watch.observe([counter('otelcol_exporter_send_failed_spans', 'otlp_http/sentry', 40, before)], startedAtMs + 1_000)).toEqual([]);
    // New ones are.
    expect(
      watch.observe([counter('otelcol_exporter_send_failed_spans', 'otlp_http/sentry', 43, before)], startedAtMs + 2_000),
    ).toMatchObject([{ type: 'collector_export_failed', failed: { spans: 3 } }]);
    // The same instance, watched since: a failure counter it begins later counts whole.
    expect(
      watch.observe([counter('otelcol_exporter_enqueue_failed_spans', 'otlp_http/sentry', 2, before)], startedAtMs + 3_000),
    ).toMatchObject([{ type: 'collector_queue_full', dropped: { spans: 2 } }]);
    // A collector started after this processor: counted whole.
    const after = { ...counter('otelcol_exporter_send_failed_spans', 'otlp_http/vendor', 5, String(11_000_000 * 1_000_000)) };
    expect(watch.observe([{ ...after, resource: { ...resource, 'service.instance.id': 'c2' } }], startedAtMs + 4_000)).toMatchObject([
      { type: 'collector_export_failed', exporter: 'otlp_http/vendor', failed: { spans: 5 } },
    ]);
  });

  it('forgets the series of a collector instance not seen for a day, in the state file too', async () => {
    const watch = new CollectorWatch(store, 10_000, 0);
    const of = (instance: string, value: number) => ({
      ...counter('otelcol_exporter_send_failed_spans', 'otlp_http/sentry', value),
      resource: { ...resource, 'service.instance.id': instance },
    });
    watch.observe([of('c1', 0)], 0);
    watch.observe([of('c2', 0)], 20 * 3_600_000);
    expect(store.watches('collector.series').size).toBe(2);
    watch.tick(25 * 3_600_000);
    await store.flush();
    const series = (await StateStore.open(database.db)).watches('collector.series');
    expect([...series.keys()].map((key) => (JSON.parse(key) as string[])[1])).toEqual(['c2']);
  });

  it('keeps "sent since the problem" across a restart: the recovery is told after it', async () => {
    const first = new CollectorWatch(store, 10_000);
    first.observe([counter('otelcol_exporter_sent_spans', 'otlp_http/sentry', 1)], 0);
    expect(first.observe([counter('otelcol_exporter_send_failed_spans', 'otlp_http/sentry', 2)], 1_000)).toHaveLength(1);
    first.observe([counter('otelcol_exporter_sent_spans', 'otlp_http/sentry', 5)], 2_000);
    await store.flush();
    const again = new CollectorWatch(await StateStore.open(database.db), 10_000);
    expect(again.tick(20_000)).toMatchObject([{ type: 'collector_export_recovered', exporter: 'otlp_http/sentry' }]);
  });

  it('ignores other metrics and points without an exporter', () => {
    const watch = new CollectorWatch(store, 10_000);
    const noExporter = { ...counter('otelcol_exporter_send_failed_spans', '', 5) };
    expect(watch.observe([counter('otelcol_receiver_refused_spans', 'x', 5), noExporter], 0)).toEqual([]);
  });
});
