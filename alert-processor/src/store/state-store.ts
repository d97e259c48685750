import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

/**
 * What must survive a restart, in a small SQLite file (ALERTS_STATE_FILE): when each alert type was last sent
 * per service (the cooldown), and the error spikes that are open or whose resolution is not yet delivered. The
 * sliding error window itself is not kept: after a restart it refills from new traffic.
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

interface SpikeRow {
  service: string;
  status: SpikeStatus;
  opened_at_ms: number;
  notified: number;
  suppressed: number;
  failing_requests: number;
  peak_in_window: number;
  sample_trace_id: string;
  sample_description: string;
  below_since_ms: number | null;
  resolved_at_ms: number | null;
  last_failure_ms: number | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS cooldowns (
  alert_type   TEXT    NOT NULL,
  service      TEXT    NOT NULL,
  last_sent_ms INTEGER NOT NULL,
  PRIMARY KEY (alert_type, service)
);
CREATE TABLE IF NOT EXISTS spikes (
  service            TEXT    PRIMARY KEY,
  status             TEXT    NOT NULL CHECK (status IN ('open', 'resolved')),
  opened_at_ms       INTEGER NOT NULL,
  notified           INTEGER NOT NULL,
  suppressed         INTEGER NOT NULL,
  failing_requests   INTEGER NOT NULL,
  peak_in_window     INTEGER NOT NULL,
  sample_trace_id    TEXT    NOT NULL,
  sample_description TEXT    NOT NULL,
  below_since_ms     INTEGER,
  resolved_at_ms     INTEGER,
  last_failure_ms    INTEGER
);
CREATE TABLE IF NOT EXISTS heartbeats (
  service      TEXT    PRIMARY KEY,
  last_seen_ms INTEGER NOT NULL,
  missing      INTEGER NOT NULL,
  notified     INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE IF NOT EXISTS watches (
  watch   TEXT NOT NULL,
  service TEXT NOT NULL,
  state   TEXT NOT NULL,
  PRIMARY KEY (watch, service)
);
`;

export interface HeartbeatState {
  service: string;
  lastSeenMs: number;
  /** The heartbeat alert was raised; the next sign of life ends it. */
  missing: boolean;
  /** It was not muted (silence, mute window): the next sign of life sends the resolution. */
  notified: boolean;
}

export class StateStore {
  private readonly db: Database.Database;
  private readonly statements;

  private constructor(db: Database.Database) {
    this.db = db;
    this.statements = {
      watches: db.prepare<[string], { service: string; state: string }>(
        'SELECT service, state FROM watches WHERE watch = ? ORDER BY service',
      ),
      saveWatch: db.prepare<[string, string, string]>(
        'INSERT INTO watches (watch, service, state) VALUES (?, ?, ?) ON CONFLICT (watch, service) DO UPDATE SET state = excluded.state',
      ),
      lastSent: db.prepare<[string, string], { last_sent_ms: number }>(
        'SELECT last_sent_ms FROM cooldowns WHERE alert_type = ? AND service = ?',
      ),
      recordSent: db.prepare<[string, string, number]>(
        `INSERT INTO cooldowns (alert_type, service, last_sent_ms) VALUES (?, ?, ?)
         ON CONFLICT (alert_type, service) DO UPDATE SET last_sent_ms = excluded.last_sent_ms`,
      ),
      spikes: db.prepare<[], SpikeRow>('SELECT * FROM spikes ORDER BY service'),
      saveSpike: db.prepare<SpikeRow>(
        `INSERT INTO spikes (service, status, opened_at_ms, notified, suppressed, failing_requests, peak_in_window,
                             sample_trace_id, sample_description, below_since_ms, resolved_at_ms, last_failure_ms)
         VALUES (@service, @status, @opened_at_ms, @notified, @suppressed, @failing_requests, @peak_in_window,
                 @sample_trace_id, @sample_description, @below_since_ms, @resolved_at_ms, @last_failure_ms)
         ON CONFLICT (service) DO UPDATE SET
           status = excluded.status, opened_at_ms = excluded.opened_at_ms, notified = excluded.notified,
           suppressed = excluded.suppressed, failing_requests = excluded.failing_requests,
           peak_in_window = excluded.peak_in_window, sample_trace_id = excluded.sample_trace_id,
           sample_description = excluded.sample_description, below_since_ms = excluded.below_since_ms,
           resolved_at_ms = excluded.resolved_at_ms, last_failure_ms = excluded.last_failure_ms`,
      ),
      deleteSpike: db.prepare<[string]>('DELETE FROM spikes WHERE service = ?'),
      heartbeats: db.prepare<[], { service: string; last_seen_ms: number; missing: number; notified: number }>(
        'SELECT * FROM heartbeats ORDER BY service',
      ),
      saveHeartbeat: db.prepare<[string, number, number, number]>(
        `INSERT INTO heartbeats (service, last_seen_ms, missing, notified) VALUES (?, ?, ?, ?)
         ON CONFLICT (service) DO UPDATE SET last_seen_ms = excluded.last_seen_ms, missing = excluded.missing, notified = excluded.notified`,
      ),
    };
  }

  /** Opens (creating the file, its directory and the tables if needed) the state file. */
  static open(file: string): StateStore {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 5000');
    db.exec(SCHEMA);
    // State files from before silences have no heartbeats.notified: every missing alert of theirs went out.
    if (!(db.pragma('table_info(heartbeats)') as { name: string }[]).some((column) => column.name === 'notified')) {
      db.exec('ALTER TABLE heartbeats ADD COLUMN notified INTEGER NOT NULL DEFAULT 1');
    }
    return new StateStore(db);
  }

  /** When an alert of this type was last delivered for the service, epoch ms. */
  lastSent(alertType: string, service: string): number | undefined {
    return this.statements.lastSent.get(alertType, service)?.last_sent_ms;
  }

  recordSent(alertType: string, service: string, atMs: number): void {
    this.statements.recordSent.run(alertType, service, atMs);
  }

  spikes(): SpikeState[] {
    return this.statements.spikes.all().map((row) => ({
      service: row.service,
      status: row.status,
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
    }));
  }

  saveSpike(spike: SpikeState): void {
    this.statements.saveSpike.run({
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
    });
  }

  deleteSpike(service: string): void {
    this.statements.deleteSpike.run(service);
  }

  heartbeats(): HeartbeatState[] {
    return this.statements.heartbeats
      .all()
      .map((row) => ({ service: row.service, lastSeenMs: row.last_seen_ms, missing: row.missing === 1, notified: row.notified === 1 }));
  }

  saveHeartbeat(state: HeartbeatState): void {
    this.statements.saveHeartbeat.run(state.service, state.lastSeenMs, state.missing ? 1 : 0, state.notified ? 1 : 0);
  }

  /** The self-watches' state per service (backup-watch.ts), as the watch wrote it. */
  watches<T>(watch: string): Map<string, T> {
    return new Map(this.statements.watches.all(watch).map((row) => [row.service, JSON.parse(row.state) as T]));
  }

  saveWatch(watch: string, service: string, state: unknown): void {
    this.statements.saveWatch.run(watch, service, JSON.stringify(state));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
