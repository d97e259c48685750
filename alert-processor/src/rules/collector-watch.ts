import { ATTR_SERVICE_INSTANCE_ID } from '@otel';
import type { OtlpMetric } from '../intake/otlp/decode';
import type { StateStore } from '../store/state-store';
import { serviceOf } from './signals';
import type { Alert, AlertWatch } from './rules';

/**
 * The operations layer watching its collector. The collector pushes its own metrics (otel-collector.yaml,
 * `service.telemetry`) with its `service.name` (`drop-otel-collector`); from the exporters' counters:
 * - `collector_export_failed` (critical): an exporter could not send data, retries exhausted — the data is lost
 *   (`otelcol_exporter_send_failed_{spans,log_records,metric_points}` went up);
 * - `collector_queue_full` (critical): an exporter's sending queue was full and refused data
 *   (`otelcol_exporter_enqueue_failed_*` went up);
 * - `collector_export_recovered` (resolved): after either, the exporter sent again (`otelcol_exporter_sent_*`) and
 *   neither counter moved for `quietMs`.
 * One alert per exporter and problem until it recovers, naming the exporter and the items lost per kind. Counters
 * are cumulative (a reset — a restarted collector — counts from zero again) or delta; one collector's replicas
 * are told apart by `service.instance.id`. The failure counters and the alert state are kept in the state file,
 * so a restart of this processor neither repeats an alert nor misses failures counted while it was away — the
 * exporter to this processor included, whose failures can only be told once the path works again (docs/RUNBOOKS.md).
 */
export type CollectorProblem = 'send_failed' | 'enqueue_failed';

export interface CollectorAlert {
  type: 'collector_export_failed' | 'collector_queue_full' | 'collector_export_recovered';
  /** The collector's service.name. */
  service: string;
  atMs: number;
  /** The exporter's component id, e.g. `otlp_http/sentry`. */
  exporter: string;
  /** Items the exporter could not send since the problem began, by kind (`spans`, `log_records`, `metric_points`). */
  failed: Record<string, number>;
  /** Items its full queue refused since the problem began, by kind. */
  dropped: Record<string, number>;
  /** When the first failure or drop was seen. */
  sinceMs: number;
}

interface ExporterState {
  service: string;
  exporter: string;
  failed: Record<string, number>;
  dropped: Record<string, number>;
  sinceMs: number | null;
  lastProblemMs: number | null;
  failedAlerted: boolean;
  queueAlerted: boolean;
  /** The exporter sent something after its last problem. */
  sentSince: boolean;
}

interface SeriesState {
  value: number;
  startTimeUnixNano: string;
}

const EXPORTERS = 'collector.exporters';
const SERIES = 'collector.series';
const COUNTER = /^otelcol_exporter_(send_failed|enqueue_failed|sent)_(spans|log_records|metric_points|items)(?:_total)?$/;

const exporterKey = (service: string, exporter: string) => JSON.stringify([service, exporter]);

/** The name of the problem a counter counts, or `sent`. */
type CounterKind = CollectorProblem | 'sent';

export class CollectorWatch implements AlertWatch {
  private readonly exporters: Map<string, ExporterState>;
  /** Failure counters' last values (saved); the `sent` counters' only in memory. */
  private readonly series: Map<string, SeriesState>;

  constructor(
    private readonly store: StateStore,
    private readonly quietMs: number,
  ) {
    this.exporters = store.watches<ExporterState>(EXPORTERS);
    this.series = store.watches<SeriesState>(SERIES);
  }

  observe(metrics: readonly OtlpMetric[], now: number): CollectorAlert[] {
    const touched = new Set<ExporterState>();
    for (const metric of metrics) {
      const match = COUNTER.exec(metric.name);
      if (!match || (metric.kind !== 'sum' && metric.kind !== undefined)) continue;
      const counter = match[1] as CounterKind;
      const itemKind = match[2]!;
      const service = serviceOf(metric.resource);
      const instance = String(metric.resource[ATTR_SERVICE_INSTANCE_ID] ?? '');
      for (const point of metric.points) {
        const exporter = typeof point.attributes.exporter === 'string' ? point.attributes.exporter : '';
        if (!exporter) continue;
        const seriesKey = JSON.stringify([service, instance, metric.name, point.attributes]);
        const delta = this.delta(seriesKey, point.value ?? 0, point.startTimeUnixNano, metric.temporality === 1, counter !== 'sent');
        if (delta <= 0) {
          // Records sent again after their alert could not be queued raise it again.
          const known = this.exporters.get(exporterKey(service, exporter));
          if (known) touched.add(known);
          continue;
        }
        const state = this.exporter(service, exporter);
        touched.add(state);
        if (counter === 'sent') {
          if (state.lastProblemMs !== null) state.sentSince = true;
          continue;
        }
        const tally = counter === 'send_failed' ? state.failed : state.dropped;
        tally[itemKind] = (tally[itemKind] ?? 0) + delta;
        state.sinceMs ??= now;
        state.lastProblemMs = now;
        state.sentSince = false;
        this.save(state);
      }
    }
    return [...touched].flatMap((state) => this.raise(state, now));
  }

  notQueued(alert: Alert): void {
    if (alert.type !== 'collector_export_failed' && alert.type !== 'collector_queue_full' && alert.type !== 'collector_export_recovered')
      return;
    const state = this.exporters.get(exporterKey(alert.service, alert.exporter));
    if (!state) return;
    if (alert.type === 'collector_export_failed') state.failedAlerted = false;
    else if (alert.type === 'collector_queue_full') state.queueAlerted = false;
    else if (state.lastProblemMs === null) {
      // Back to the state the recovery was told from: the next tick tells it again.
      Object.assign(state, {
        failed: { ...alert.failed },
        dropped: { ...alert.dropped },
        sinceMs: alert.sinceMs,
        lastProblemMs: alert.atMs - this.quietMs,
        failedAlerted: Object.keys(alert.failed).length > 0,
        queueAlerted: Object.keys(alert.dropped).length > 0,
        sentSince: true,
      });
    }
    this.save(state);
  }

  /** The alerts for the exporter's problems not yet told. */
  private raise(state: ExporterState, now: number): CollectorAlert[] {
    const alerts: CollectorAlert[] = [];
    if (Object.keys(state.failed).length > 0 && !state.failedAlerted) {
      state.failedAlerted = true;
      alerts.push(this.alert('collector_export_failed', state, now));
    }
    if (Object.keys(state.dropped).length > 0 && !state.queueAlerted) {
      state.queueAlerted = true;
      alerts.push(this.alert('collector_queue_full', state, now));
    }
    if (alerts.length > 0) this.save(state);
    return alerts;
  }

  /** Recoveries: an exporter that sent again and had no failure or drop for `quietMs`. */
  tick(now: number): CollectorAlert[] {
    const alerts: CollectorAlert[] = [];
    for (const state of this.exporters.values()) {
      const untold = this.raise(state, now);
      alerts.push(...untold);
      if (untold.length > 0 || state.lastProblemMs === null || !state.sentSince || now - state.lastProblemMs < this.quietMs) continue;
      if (state.failedAlerted || state.queueAlerted) alerts.push(this.alert('collector_export_recovered', state, now));
      Object.assign(state, {
        failed: {},
        dropped: {},
        sinceMs: null,
        lastProblemMs: null,
        failedAlerted: false,
        queueAlerted: false,
        sentSince: false,
      });
      this.save(state);
    }
    return alerts;
  }

  /** How much a counter went up since it was last seen. A failure counter seen for the first time counts whole. */
  private delta(key: string, value: number, startTimeUnixNano: string, isDelta: boolean, persistent: boolean): number {
    if (isDelta) return value;
    const previous = this.series.get(key);
    this.series.set(key, { value, startTimeUnixNano });
    const reset = !previous || previous.startTimeUnixNano !== startTimeUnixNano || value < previous.value;
    if (persistent && (reset || value !== previous.value)) this.store.saveWatch(SERIES, key, { value, startTimeUnixNano });
    // A `sent` counter seen first is a baseline: what it counted before says nothing about the last problem.
    if (!previous) return persistent ? value : 0;
    return reset ? value : value - previous.value;
  }

  private exporter(service: string, exporter: string): ExporterState {
    const key = exporterKey(service, exporter);
    let state = this.exporters.get(key);
    if (!state) {
      state = {
        service,
        exporter,
        failed: {},
        dropped: {},
        sinceMs: null,
        lastProblemMs: null,
        failedAlerted: false,
        queueAlerted: false,
        sentSince: false,
      };
      this.exporters.set(key, state);
    }
    return state;
  }

  private alert(type: CollectorAlert['type'], state: ExporterState, now: number): CollectorAlert {
    return {
      type,
      service: state.service,
      atMs: now,
      exporter: state.exporter,
      failed: { ...state.failed },
      dropped: { ...state.dropped },
      sinceMs: state.sinceMs ?? now,
    };
  }

  private save(state: ExporterState): void {
    this.store.saveWatch(EXPORTERS, exporterKey(state.service, state.exporter), state);
  }
}
