import {
  ATTR_AUDIT_CHECKPOINT_INTERVAL_SECONDS,
  ATTR_AUDIT_CHECKPOINT_TREE_SIZE,
  ATTR_AUDIT_ENTRY_ID,
  ATTR_AUDIT_ENTRY_PROBLEM,
  ATTR_EVENT_NAME,
  EVENT_AUDIT_CHECKPOINT,
  EVENT_AUDIT_CHECKPOINT_CURRENT,
  EVENT_AUDIT_CHECKPOINT_REFUSED,
  EVENT_AUDIT_VERIFY_FAILED,
} from '@otel';
import type { AttributeValue, OtlpLogRecord } from '../intake/otlp/decode';
import type { StateStore } from '../store/state-store';
import type { Alert, AlertWatch } from './rules';
import { serviceOf } from './signals';
import { markOverdue } from './overdue';

/**
 * The operations layer watching the audit trail (docs/AUDIT.md). From the app's records:
 * - `audit_chain_broken` (critical): `audit.checkpoint_refused` (a writer or the checkpoint timer found an entry the
 *   app did not write, and signs no checkpoint any more) or `audit.verify_failed` (a verification of the whole chain
 *   found it broken). Once per broken entry: again only for another first broken entry, or after a signed checkpoint
 *   over the range that holds the broken entry shows a writer vouching for it — a broken chain does not mend itself;
 *   a person repairs it and restarts the app (docs/RUNBOOKS.md). A checkpoint over later entries only (the
 *   checkpointer checks the entries since the last checkpoint) says nothing about an earlier broken one.
 * - `audit_checkpoint_stale` (critical): neither `audit.checkpoint` (a checkpoint signed) nor
 *   `audit.checkpoint_current` (the head already covered) for longer than their `audit.checkpoint.interval_seconds`
 *   plus `graceMs` (ALERT_AUDIT_CHECKPOINT_GRACE_SECONDS): the checkpointer stopped, refuses, or cannot reach us.
 *   Counted from the last one, never from before this processor started (its own downtime is not the app's).
 * - `audit_checkpoint_recovered` (resolved): a checkpoint or `current` record after a stale alert.
 * The state is kept in the state file (`watches` table).
 */
export interface AuditSignal {
  kind: 'checkpoint' | 'current' | 'refused' | 'verify_failed';
  service: string;
  timeMs: number;
  intervalMs?: number;
  treeSize?: number;
  entryId?: number;
  problem?: string;
}

export interface AuditAlert {
  type: 'audit_chain_broken' | 'audit_checkpoint_stale' | 'audit_checkpoint_recovered';
  service: string;
  atMs: number;
  /** For a broken chain: how it was found, the first entry that is not genuine, and why. */
  foundBy?: 'checkpoint_refused' | 'verify_failed';
  entryId?: number;
  problem?: string;
  /** The newest checkpoint (or head-covered record) seen, epoch ms; null: none. */
  lastCheckpointMs: number | null;
  treeSize?: number;
  intervalMs: number | null;
  graceMs: number;
  watchedSinceMs: number;
}

interface State {
  lastCheckpointMs: number | null;
  treeSize?: number;
  intervalMs: number | null;
  watchedSinceMs: number;
  brokenAlerted: boolean;
  /** The first broken entry audit_chain_broken named. */
  brokenEntryId?: number;
  staleAlerted: boolean;
}

const WATCH = 'audit';
const EVENTS: Record<string, AuditSignal['kind']> = {
  [EVENT_AUDIT_CHECKPOINT]: 'checkpoint',
  [EVENT_AUDIT_CHECKPOINT_CURRENT]: 'current',
  [EVENT_AUDIT_CHECKPOINT_REFUSED]: 'refused',
  [EVENT_AUDIT_VERIFY_FAILED]: 'verify_failed',
};

const positive = (value: AttributeValue | undefined): number | undefined => {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  return Number.isFinite(n) && n > 0 ? n : undefined;
};

/** The audit trail's events among the records (the OTLP EventName field or the `event.name` attribute). */
export function auditSignalsFromLogs(records: readonly OtlpLogRecord[], now: number): AuditSignal[] {
  const signals: AuditSignal[] = [];
  for (const record of records) {
    const name = record.eventName || record.attributes[ATTR_EVENT_NAME];
    const kind = typeof name === 'string' ? EVENTS[name] : undefined;
    if (!kind) continue;
    const interval = positive(record.attributes[ATTR_AUDIT_CHECKPOINT_INTERVAL_SECONDS]);
    const problem = record.attributes[ATTR_AUDIT_ENTRY_PROBLEM];
    signals.push({
      kind,
      service: serviceOf(record.resource),
      timeMs: now,
      intervalMs: interval === undefined ? undefined : interval * 1000,
      treeSize: positive(record.attributes[ATTR_AUDIT_CHECKPOINT_TREE_SIZE]),
      entryId: positive(record.attributes[ATTR_AUDIT_ENTRY_ID]),
      problem: typeof problem === 'string' ? problem.slice(0, 100) : undefined,
    });
  }
  return signals;
}

export class AuditWatch implements AlertWatch {
  private readonly states: Map<string, State>;

  constructor(
    private readonly store: StateStore,
    private readonly graceMs: number,
    private readonly startedAtMs = Date.now(),
  ) {
    this.states = store.watches<State>(WATCH);
  }

  observe(signals: readonly AuditSignal[], now: number): AuditAlert[] {
    const alerts: AuditAlert[] = [];
    for (const signal of signals) {
      const state = this.states.get(signal.service) ?? {
        lastCheckpointMs: null,
        intervalMs: null,
        watchedSinceMs: now,
        brokenAlerted: false,
        staleAlerted: false,
      };
      if (signal.kind === 'refused' || signal.kind === 'verify_failed') {
        const another = signal.entryId !== undefined && state.brokenEntryId !== undefined && signal.entryId !== state.brokenEntryId;
        if (!state.brokenAlerted || another) {
          state.brokenAlerted = true;
          state.brokenEntryId = signal.entryId;
          alerts.push({
            ...this.alert('audit_chain_broken', signal.service, state, now),
            foundBy: signal.kind === 'refused' ? 'checkpoint_refused' : 'verify_failed',
            entryId: signal.entryId,
            problem: signal.problem,
          });
        }
      } else {
        if (signal.kind === 'checkpoint' && this.vouchesForBroken(state, signal.treeSize)) {
          state.brokenAlerted = false;
          delete state.brokenEntryId;
        }
        if (signal.intervalMs !== undefined) state.intervalMs = signal.intervalMs;
        state.lastCheckpointMs = signal.timeMs;
        if (signal.treeSize !== undefined) state.treeSize = signal.treeSize;
        if (state.staleAlerted) alerts.push(this.alert('audit_checkpoint_recovered', signal.service, state, now));
        state.staleAlerted = false;
      }
      this.save(signal.service, state);
    }
    return alerts;
  }

  /**
   * A newly signed checkpoint up to `treeSize` vouches for the entries since the one before it (state.treeSize): a
   * writer found the broken entry genuine again only if it lies in that range.
   */
  private vouchesForBroken(state: State, treeSize: number | undefined): boolean {
    if (!state.brokenAlerted) return false;
    const broken = state.brokenEntryId;
    if (broken === undefined) return true;
    return treeSize !== undefined && treeSize >= broken && (state.treeSize === undefined || state.treeSize < broken);
  }

  tick(now: number): AuditAlert[] {
    return markOverdue(this.states, now, (state) => state.lastCheckpointMs, this.graceMs, this.startedAtMs).map(([service, state]) => {
      this.save(service, state);
      return this.alert('audit_checkpoint_stale', service, state, now);
    });
  }

  notQueued(alert: Alert): void {
    const state = this.states.get(alert.service);
    if (!state) return;
    if (alert.type === 'audit_chain_broken') state.brokenAlerted = false;
    else if (alert.type === 'audit_checkpoint_stale') state.staleAlerted = false;
    // The next checkpoint tells the recovery again.
    else if (alert.type === 'audit_checkpoint_recovered') state.staleAlerted = true;
    else return;
    this.save(alert.service, state);
  }

  private alert(type: AuditAlert['type'], service: string, state: State, now: number): AuditAlert {
    return {
      type,
      service,
      atMs: now,
      lastCheckpointMs: state.lastCheckpointMs,
      treeSize: state.treeSize,
      intervalMs: state.intervalMs,
      graceMs: this.graceMs,
      watchedSinceMs: state.watchedSinceMs,
    };
  }

  private save(service: string, state: State): void {
    this.states.set(service, state);
    this.store.saveWatch(WATCH, service, state);
  }
}
