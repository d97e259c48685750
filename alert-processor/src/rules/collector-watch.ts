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
 * are told apart by `service.instance.id` (a series not seen for a day is forgotten). The failure counters and the
 * alert state are kept in the state file, so a restart of this processor neither repeats an alert nor misses
 * failures counted while it was away — the exporter to this processor included, whose failures can only be told once
 * the path works again (docs/RUNBOOKS.md).
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

/** An exporter's state with nothing counted or alerted: a new exporter's, and one's after it recovered. */
const noProblem = (): Omit<ExporterState, 'service' | 'exporter'> => ({
  failed: {},
  dropped: {},
  sinceMs: null,
  lastProblemMs: null,
  failedAlerted: false,
  queueAlerted: false,
  sentSince: false,
});

interface SeriesState {
  value: number;
  startTimeUnixNano: string;
  /** In memory only: a series read from the state file counts as seen at this start. */
  lastSeenMs?: number;
}

/** A series not seen this long is forgotten: each restart of the collector begins new ones (service.instance.id). */
const SERIES_TTL_MS = 24 * 60 * 60 * 1000;
const instanceOf = (seriesKey: string) => JSON.stringify((JSON.parse(seriesKey) as unknown[]).slice(0, 2));

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
  /** The collector instances ([service, service.instance.id]) with series known before the current request. */
  private instances = new Set<string>();

  constructor(
    private readonly store: StateStore,
    private readonly quietMs: number,
    private readonly startedAtMs = Date.now(),
  ) {
    this.exporters = store.watches<ExporterState>(EXPORTERS);
    this.series = store.watches<SeriesState>(SERIES);
    for (const state of this.series.values()) state.lastSeenMs = startedAtMs;
    this.instances = new Set([...this.series.keys()].map(instanceOf));
  }

  observe(metrics: readonly OtlpMetric[], now: number): CollectorAlert[] {
    const touched = new Set<ExporterState>();
    const seen = new Set<string>();
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
        seen.add(JSON.stringify([service, instance]));
        const delta = this.delta(seriesKey, point, metric.temporality === 1, counter !== 'sent', now);
        if (delta <= 0) {
          // Records sent again after their alert could not be queued raise it again.
          const known = this.exporters.get(exporterKey(service, exporter));
          if (known) touched.add(known);
          continue;
        }
        const state = this.exporter(service, exporter);
        touched.add(state);
        if (counter === 'sent') {
          if (state.lastProblemMs !== null && !state.sentSince) {
            state.sentSince = true;
            this.save(state);
          }
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
    for (const instance of seen) this.instances.add(instance);
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
    this.prune(now);
    const alerts: CollectorAlert[] = [];
    for (const state of this.exporters.values()) {
      const untold = this.raise(state, now);
      alerts.push(...untold);
      if (untold.length > 0 || state.lastProblemMs === null || !state.sentSince || now - state.lastProblemMs < this.quietMs) continue;
      if (state.failedAlerted || state.queueAlerted) alerts.push(this.alert('collector_export_recovered', state, now));
      Object.assign(state, noProblem());
      this.save(state);
    }
    return alerts;
  }

  /** Forgets the series not seen for SERIES_TTL_MS, in the state file too. */
  private prune(now: number): void {
    let pruned = false;
    for (const [key, state] of this.series) {
      if (now - (state.lastSeenMs ?? now) < SERIES_TTL_MS) continue;
      this.series.delete(key);
      this.store.deleteWatch(SERIES, key);
      pruned = true;
    }
    if (pruned) this.instances = new Set([...this.series.keys()].map(instanceOf));
  }

  /**
   * How much a counter went up since it was last seen. A failure counter seen for the first time counts whole —
   * unless it is a cumulative counter of a collector instance not watched before that began counting before this
   * processor started: what it counted then may be old (a fresh state file beside a long-running collector).
   */
  private delta(key: string, point: OtlpMetric['points'][number], isDelta: boolean, persistent: boolean, now: number): number {
    const value = point.value ?? 0;
    const { startTimeUnixNano } = point;
    if (isDelta) return value;
    const previous = this.series.get(key);
    this.series.set(key, { value, startTimeUnixNano, lastSeenMs: now });
    const reset = !previous || previous.startTimeUnixNano !== startTimeUnixNano || value < previous.value;
    if (persistent && (reset || value !== previous.value)) this.store.saveWatch(SERIES, key, { value, startTimeUnixNano });
    // A `sent` counter seen first is a baseline: what it counted before says nothing about the last problem.
    if (!previous) return persistent && !this.countedBefore(key, startTimeUnixNano) ? value : 0;
    return reset ? value : value - previous.value;
  }

  private countedBefore(key: string, startTimeUnixNano: string): boolean {
    if (this.instances.has(instanceOf(key))) return false;
    const startMs = Number(BigInt(/^\d{1,30}$/.test(startTimeUnixNano) ? startTimeUnixNano : '0') / 1_000_000n);
    return startMs > 0 && startMs < this.startedAtMs;
  }

  private exporter(service: string, exporter: string): ExporterState {
    const key = exporterKey(service, exporter);
    let state = this.exporters.get(key);
    if (!state) {
      state = { service, exporter, ...noProblem() };
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
