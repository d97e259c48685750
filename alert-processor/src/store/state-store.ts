import type { AlertsDb } from './database';

/**
 * What must survive a restart, in the store: when each alert type was last sent per service (the cooldown), the
 * error spikes that are open or whose resolution is not yet delivered, the heartbeats and the self-watches' state.
 * The sliding error window itself is not kept: after a restart it refills from new traffic.
 *
 * The rules read and change this state on every record, synchronously: it is read once at open and kept in
 * memory, and every change is written through, in order. `flush()` waits for what was written so far — the
 * intake answers the collector only after it (and after the outbox write), so what an answered request changed
 * is on disk, as with the outbox; a write that failed makes `flush()` throw (the intake then answers 503 and the
 * collector sends the records again).
 */

export type SpikeStatus = 'open' | 'resolved';

export interface SpikeState {
  service: string;
  /** open: above the threshold, or not yet a full window under it; resolved: over, resolution not yet delivered. */
  status: SpikeStatus;
  openedAtMs: number;
  /** The critical alert was delivered (only a delivered spike gets a resolution message). */
  notified: boolean;
  /** The critical alert was held back by the cooldown: nobody is told about this spike. */
  suppressed: boolean;
  /** Distinct failing requests (trace ids) seen while the spike was open. */
  failingRequests: number;
  /** The most failing requests inside one window during the spike. */
  peakInWindow: number;
  /** One failing request, for the alert's trace link. */
  sampleTraceId: string;
  sampleDescription: string;
  /** Since when the window has been at or under the threshold; null while above it. */
  belowSinceMs: number | null;
  resolvedAtMs: number | null;
  /** When a delivery for this spike last failed (redelivery waits a while). */
  lastFailureMs: number | null;
}

export interface HeartbeatState {
  service: string;
  lastSeenMs: number;
  /** The heartbeat alert was raised; the next sign of life ends it. */
  missing: boolean;
  /** It was not muted (silence, mute window): the next sign of life sends the resolution. */
  notified: boolean;
}

const key = (...parts: string[]) => parts.join('\n');
const byService = <T extends { service: string }>(a: T, b: T) => (a.service < b.service ? -1 : a.service > b.service ? 1 : 0);

export class StateStore {
  private writing: Promise<void> = Promise.resolve();
  private failure: unknown;

  private constructor(
    private readonly db: AlertsDb,
    private readonly cooldowns: Map<string, number>,
    private readonly spikeStates: Map<string, SpikeState>,
    private readonly heartbeatStates: Map<string, HeartbeatState>,
    private readonly watchStates: Map<string, Map<string, string>>,
  ) {}

  /** Reads the state (the store migrated already). */
  static async open(db: AlertsDb): Promise<StateStore> {
    const [cooldowns, spikes, heartbeats, watches] = await Promise.all([
      db.selectFrom('alert_cooldowns').selectAll().execute(),
      db.selectFrom('alert_spikes').selectAll().execute(),
      db.selectFrom('alert_heartbeats').selectAll().execute(),
      db.selectFrom('alert_watches').selectAll().execute(),
    ]);
    const watchStates = new Map<string, Map<string, string>>();
    for (const row of watches) {
      const services = watchStates.get(row.watch) ?? new Map<string, string>();
      services.set(row.service, row.state);
      watchStates.set(row.watch, services);
    }
    return new StateStore(
      db,
      new Map(cooldowns.map((row) => [key(row.alert_type, row.service), row.last_sent_ms])),
      new Map(
        spikes.map((row) => [
          row.service,
          {
            service: row.service,
            status: row.status === 'resolved' ? 'resolved' : 'open',
            openedAtMs: row.opened_at_ms,
            notified: row.notified === 1,
            suppressed: row.suppressed === 1,
            failingRequests: row.failing_requests,
            peakInWindow: row.peak_in_window,
            sampleTraceId: row.sample_trace_id,
            sampleDescription: row.sample_description,
            belowSinceMs: row.below_since_ms,
            resolvedAtMs: row.resolved_at_ms,
            lastFailureMs: row.last_failure_ms,
          },
        ]),
      ),
      new Map(
        heartbeats.map((row) => [
          row.service,
          { service: row.service, lastSeenMs: row.last_seen_ms, missing: row.missing === 1, notified: row.notified === 1 },
        ]),
      ),
      watchStates,
    );
  }

  private write(change: () => Promise<unknown>): void {
    this.writing = this.writing.then(change).then(
      () => undefined,
      (error: unknown) => {
        this.failure ??= error;
      },
    );
  }

  /** Waits for the changes made so far to be written; throws when one of them could not be. */
  async flush(): Promise<void> {
    await this.writing;
    const failure = this.failure;
    this.failure = undefined;
    if (failure !== undefined) throw failure;
  }

  /** When an alert of this type was last delivered for the service, epoch ms. */
  lastSent(alertType: string, service: string): number | undefined {
    return this.cooldowns.get(key(alertType, service));
  }

  recordSent(alertType: string, service: string, atMs: number): void {
    this.cooldowns.set(key(alertType, service), atMs);
    this.write(() =>
      this.db
        .insertInto('alert_cooldowns')
        .values({ alert_type: alertType, service, last_sent_ms: atMs })
        .onConflict((oc) => oc.columns(['alert_type', 'service']).doUpdateSet({ last_sent_ms: atMs }))
        .execute(),
    );
  }

  spikes(): SpikeState[] {
    return [...this.spikeStates.values()].map((spike) => ({ ...spike })).sort(byService);
  }

  saveSpike(spike: SpikeState): void {
    this.spikeStates.set(spike.service, { ...spike });
    const row = {
      service: spike.service,
      status: spike.status,
      opened_at_ms: spike.openedAtMs,
      notified: spike.notified ? 1 : 0,
      suppressed: spike.suppressed ? 1 : 0,
      failing_requests: spike.failingRequests,
      peak_in_window: spike.peakInWindow,
      sample_trace_id: spike.sampleTraceId,
      sample_description: spike.sampleDescription,
      below_since_ms: spike.belowSinceMs,
      resolved_at_ms: spike.resolvedAtMs,
      last_failure_ms: spike.lastFailureMs,
    };
    const { service: _service, ...changes } = row;
    this.write(() =>
      this.db
        .insertInto('alert_spikes')
        .values(row)
        .onConflict((oc) => oc.column('service').doUpdateSet(changes))
        .execute(),
    );
  }

  deleteSpike(service: string): void {
    this.spikeStates.delete(service);
    this.write(() => this.db.deleteFrom('alert_spikes').where('service', '=', service).execute());
  }

  heartbeats(): HeartbeatState[] {
    return [...this.heartbeatStates.values()].map((state) => ({ ...state })).sort(byService);
  }

  saveHeartbeat(state: HeartbeatState): void {
    this.heartbeatStates.set(state.service, { ...state });
    const changes = { last_seen_ms: state.lastSeenMs, missing: state.missing ? 1 : 0, notified: state.notified ? 1 : 0 };
    this.write(() =>
      this.db
        .insertInto('alert_heartbeats')
        .values({ service: state.service, ...changes })
        .onConflict((oc) => oc.column('service').doUpdateSet(changes))
        .execute(),
    );
  }

  /** The self-watches' state per service (rules/backup-watch.ts), as the watch wrote it. */
  watches<T>(watch: string): Map<string, T> {
    const services = [...(this.watchStates.get(watch) ?? new Map<string, string>())].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return new Map(services.map(([service, state]) => [service, JSON.parse(state) as T]));
  }

  deleteWatch(watch: string, service: string): void {
    this.watchStates.get(watch)?.delete(service);
    this.write(() => this.db.deleteFrom('alert_watches').where('watch', '=', watch).where('service', '=', service).execute());
  }

  saveWatch(watch: string, service: string, state: unknown): void {
    const json = JSON.stringify(state);
    const services = this.watchStates.get(watch) ?? new Map<string, string>();
    services.set(service, json);
    this.watchStates.set(watch, services);
    this.write(() =>
      this.db
        .insertInto('alert_watches')
        .values({ watch, service, state: json })
        .onConflict((oc) => oc.columns(['watch', 'service']).doUpdateSet({ state: json }))
        .execute(),
    );
  }
}
