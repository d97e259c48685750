import type { Alert, AlertWatch, BackupAlert } from './rules';
import type { BackupSignal } from './signals';
import type { StateStore } from '../store/state-store';
import { markOverdue } from './overdue';

/**
 * The operations layer watching its backups. The backup scheduler (service `drop-backup`) logs `backup.succeeded`
 * or `backup.failed` after every run, with `backup.interval_seconds`; from those:
 * - `backup_failed` (critical): the first failure after a success — not one per retry; the failures are counted;
 * - `backup_stale` (critical): no success for longer than the interval plus `graceMs` (ALERT_BACKUP_GRACE_SECONDS),
 *   counted from the last success, or from when the watch began for a service with none yet (and never from
 *   before this processor started: its own downtime is not the backups');
 * - `backup_recovered` (resolved): the first success after either.
 * The state is kept in the state file (`watches` table), so a restart neither forgets a failing backup nor
 * repeats its alert.
 */
interface State {
  lastSuccessMs: number | null;
  intervalMs: number | null;
  watchedSinceMs: number;
  failures: number;
  failedAlerted: boolean;
  staleAlerted: boolean;
  errorType?: string;
}

const WATCH = 'backup';

export class BackupWatch implements AlertWatch {
  private readonly states: Map<string, State>;

  constructor(
    private readonly store: StateStore,
    private readonly graceMs: number,
    private readonly startedAtMs = Date.now(),
  ) {
    this.states = store.watches<State>(WATCH);
  }

  /** The service's backups are watched here (it has sent a backup event). */
  has(service: string): boolean {
    return this.states.has(service);
  }

  observe(signals: BackupSignal[], now: number): BackupAlert[] {
    const alerts: BackupAlert[] = [];
    for (const signal of signals) {
      const state = this.states.get(signal.service) ?? {
        lastSuccessMs: null,
        intervalMs: null,
        watchedSinceMs: now,
        failures: 0,
        failedAlerted: false,
        staleAlerted: false,
      };
      if (signal.intervalMs !== undefined) state.intervalMs = signal.intervalMs;
      if (signal.outcome === 'failed') {
        state.failures += 1;
        state.errorType = signal.errorType;
        if (!state.failedAlerted && !state.staleAlerted) {
          state.failedAlerted = true;
          alerts.push({
            ...this.alert('backup_failed', signal.service, state, now),
            attempt: signal.attempt,
            nextAttemptMs: signal.nextAttemptMs,
          });
        }
      } else {
        const recovered = state.failedAlerted || state.staleAlerted;
        state.lastSuccessMs = Math.min(signal.timeMs, now);
        if (recovered) alerts.push(this.alert('backup_recovered', signal.service, state, now));
        state.failures = 0;
        state.failedAlerted = false;
        state.staleAlerted = false;
        delete state.errorType;
      }
      this.save(signal.service, state);
    }
    return alerts;
  }

  tick(now: number): BackupAlert[] {
    return markOverdue(this.states, now, (state) => state.lastSuccessMs, this.graceMs, this.startedAtMs).map(([service, state]) => {
      this.save(service, state);
      return this.alert('backup_stale', service, state, now);
    });
  }

  notQueued(alert: Alert): void {
    const state = this.states.get(alert.service);
    if (!state) return;
    if (alert.type === 'backup_failed') state.failedAlerted = false;
    else if (alert.type === 'backup_stale') state.staleAlerted = false;
    // The next success tells the recovery again.
    else if (alert.type === 'backup_recovered') state.failedAlerted = true;
    else return;
    this.save(alert.service, state);
  }

  private alert(type: BackupAlert['type'], service: string, state: State, now: number): BackupAlert {
    return {
      type,
      service,
      atMs: now,
      lastSuccessMs: state.lastSuccessMs,
      intervalMs: state.intervalMs,
      graceMs: this.graceMs,
      failures: state.failures,
      errorType: state.errorType,
      watchedSinceMs: state.watchedSinceMs,
    };
  }

  private save(service: string, state: State): void {
    this.states.set(service, state);
    this.store.saveWatch(WATCH, service, state);
  }
}
