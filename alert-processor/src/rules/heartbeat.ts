import type { Alert, AlertWatch, HeartbeatAlert } from './rules';
import type { HeartbeatState, StateStore } from '../store/state-store';

/**
 * The dead-man switch: every service that has sent telemetry is watched (the caller passes only declared ones); when nothing of it has arrived for
 * `timeoutMs` (ALERT_HEARTBEAT_MINUTES) a critical `heartbeat_missing` goes out, and its first record after that
 * sends `heartbeat_resumed` (unless the missing alert was muted by a silence or mute window). Both go through the outbox, so neither is lost. Last-seen times are saved at most
 * every `saveEveryMs` (and on every change of state): a restart keeps watching the services it knew. Silence is
 * counted from the later of a service's last record and this start: the processor's own downtime is not the
 * app's, and the app's telemetry gets one full timeout to arrive before anything is raised.
 */
export class Heartbeat implements AlertWatch {
  private readonly states = new Map<string, HeartbeatState>();
  private readonly savedAt = new Map<string, number>();

  constructor(
    private readonly store: StateStore,
    private readonly timeoutMs: number,
    private readonly saveEveryMs = 10_000,
    private readonly startedAtMs = Date.now(),
    /**
     * Services it may watch: declared ones (ALERT_SERVICES) that are not watched otherwise (the backup scheduler
     * runs once per interval: backup-watch.ts is its dead-man switch). Asked again at every check.
     */
    private readonly watched: (service: string) => boolean = () => true,
  ) {
    for (const state of store.heartbeats()) {
      this.states.set(state.service, state);
      this.savedAt.set(state.service, state.lastSeenMs);
    }
  }

  get enabled(): boolean {
    return this.timeoutMs > 0;
  }

  /** Telemetry of these services arrived now. */
  seen(services: Iterable<string>, now: number): HeartbeatAlert[] {
    if (!this.enabled) return [];
    const alerts: HeartbeatAlert[] = [];
    for (const service of services) {
      if (!this.watched(service)) continue;
      const state = this.states.get(service) ?? { service, lastSeenMs: now, missing: false, notified: false };
      const silentForMs = now - state.lastSeenMs;
      state.lastSeenMs = now;
      this.states.set(service, state);
      if (state.missing) {
        state.missing = false;
        // The end of a silence nobody was told about (it was muted) is not news either.
        if (state.notified) alerts.push({ type: 'heartbeat_resumed', service, atMs: now, silentForMs, timeoutMs: this.timeoutMs });
        state.notified = false;
        this.save(state, now);
      } else if (now - (this.savedAt.get(service) ?? 0) >= this.saveEveryMs) {
        this.save(state, now);
      }
    }
    return alerts;
  }

  tick(now: number): HeartbeatAlert[] {
    if (!this.enabled) return [];
    const alerts: HeartbeatAlert[] = [];
    for (const state of this.states.values()) {
      if (!this.watched(state.service)) continue;
      if (state.missing || now - Math.max(state.lastSeenMs, this.startedAtMs) < this.timeoutMs) continue;
      state.missing = true;
      state.notified = true;
      this.save(state, now);
      alerts.push({
        type: 'heartbeat_missing',
        service: state.service,
        atMs: now,
        silentForMs: now - state.lastSeenMs,
        timeoutMs: this.timeoutMs,
      });
    }
    return alerts;
  }

  /** The service's heartbeat_missing was muted: its end sends no resolution. */
  silenced(service: string): void {
    const state = this.states.get(service);
    if (!state?.missing) return;
    state.notified = false;
    this.save(state, state.lastSeenMs);
  }

  notQueued(alert: Alert): void {
    if (alert.type !== 'heartbeat_missing' && alert.type !== 'heartbeat_resumed') return;
    const state = this.states.get(alert.service);
    if (!state) return;
    // Back to the state before the alert was raised.
    state.missing = alert.type === 'heartbeat_resumed';
    state.notified = state.missing;
    this.save(state, state.lastSeenMs);
  }

  /** Saves the last-seen times not yet saved (at a graceful stop). */
  flush(): void {
    for (const state of this.states.values()) if (this.savedAt.get(state.service) !== state.lastSeenMs) this.save(state, state.lastSeenMs);
  }

  private save(state: HeartbeatState, now: number): void {
    this.store.saveHeartbeat(state);
    this.savedAt.set(state.service, now);
  }
}
