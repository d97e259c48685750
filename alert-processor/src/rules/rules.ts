import type { AuditAlert } from './audit-watch';
import type { CollectorAlert } from './collector-watch';
import { ErrorWindow } from './error-window';
import type { LoginAlert } from './login-watch';
import type { AlertSignal, ErrorSignal, LifecycleSignal } from './signals';
import type { SpikeState, StateStore } from '../store/state-store';

/**
 * The alert rules. They decide WHAT to send and WHEN; delivery (notify/alerter.ts) reports back whether it worked.
 *
 * - `app.started` → info, `app.stopping` → warning.
 * - Error spike: MORE than `threshold` failing requests of one service (`service.name`) within `windowMs`
 *   → critical. Failing requests are counted by distinct trace id (error logs and error spans of one request
 *   are one failure), at the time they reach the processor.
 * - Spike over: a full window at or under the threshold → resolved, only for a spike whose critical was
 *   delivered; exactly one resolution per delivered critical.
 * - Cooldown: at most one alert per type and service per `cooldownMs` (lifecycle and critical; a resolution is
 *   paired with its critical instead). A suppressed critical marks its spike, which then ends silently.
 * - A delivery that fails consumes no cooldown: a lifecycle alert goes out on the next such event; a spike's
 *   critical or resolution is offered again, at most once per `redeliveryMs`, while the spike lasts.
 * - A critical held back by a silence or mute window (silence/silencer.ts) is treated as suppressed by the cooldown.
 * Cooldowns and spikes are kept in the StateStore, so a restart neither repeats nor forgets an alert.
 */

export type AlertType =
  | 'app.started'
  | 'app.stopping'
  | 'error_spike'
  | 'error_spike_resolved'
  | 'heartbeat_missing'
  | 'heartbeat_resumed'
  | 'backup_failed'
  | 'backup_stale'
  | 'backup_recovered'
  | 'delivery_failed'
  | 'delivery_recovered'
  | CollectorAlert['type']
  | AuditAlert['type']
  | LoginAlert['type'];
export type Severity = 'info' | 'warning' | 'critical' | 'resolved';

export const SEVERITY_OF: Record<AlertType, Severity> = {
  'app.started': 'info',
  'app.stopping': 'warning',
  error_spike: 'critical',
  error_spike_resolved: 'resolved',
  heartbeat_missing: 'critical',
  heartbeat_resumed: 'resolved',
  backup_failed: 'critical',
  backup_stale: 'critical',
  backup_recovered: 'resolved',
  delivery_failed: 'critical',
  delivery_recovered: 'resolved',
  collector_export_failed: 'critical',
  collector_queue_full: 'critical',
  collector_export_recovered: 'resolved',
  audit_chain_broken: 'critical',
  audit_checkpoint_stale: 'critical',
  audit_checkpoint_recovered: 'resolved',
  login_failure_spike: 'critical',
};

export interface LifecycleAlert {
  type: 'app.started' | 'app.stopping';
  service: string;
  /** When the alert was raised, epoch ms. */
  atMs: number;
  event: LifecycleSignal;
}

export interface SpikeAlert {
  type: 'error_spike' | 'error_spike_resolved';
  service: string;
  atMs: number;
  /** Failing requests in the current window. */
  inWindow: number;
  threshold: number;
  windowMs: number;
  spike: SpikeState;
}

/** Raised by the heartbeat (heartbeat.ts), not by these rules. */
export interface HeartbeatAlert {
  type: 'heartbeat_missing' | 'heartbeat_resumed';
  service: string;
  atMs: number;
  /** How long nothing arrived (so far, for missing; in all, for resumed). */
  silentForMs: number;
  timeoutMs: number;
}

/** Raised by the backup watch (backup-watch.ts), not by these rules. */
export interface BackupAlert {
  type: 'backup_failed' | 'backup_stale' | 'backup_recovered';
  service: string;
  atMs: number;
  /** The last successful backup, epoch ms; null: none seen. */
  lastSuccessMs: number | null;
  /** How often a backup is due (backup.interval_seconds), ms; null: not told yet. */
  intervalMs: number | null;
  graceMs: number;
  /** Failures since the last success. */
  failures: number;
  errorType?: string;
  attempt?: number;
  nextAttemptMs?: number;
  /** Since when it is watched (the staleness of a service with no success yet counts from here). */
  watchedSinceMs: number;
}

/** Raised by the alerter about a receiver of its own (notify/alerter.ts), sent through the other receiver. */
export interface DeliveryAlert {
  type: 'delivery_failed' | 'delivery_recovered';
  /** The alert processor itself. */
  service: string;
  atMs: number;
  /** The receiver that fails (or works again): `slack` or `email`. */
  receiver: 'slack' | 'email';
  /** Why it failed (the last failure). */
  reason: string;
  /** When it began failing, epoch ms. */
  sinceMs: number;
  /** Alerts waiting for it in the outbox. */
  waiting: number;
}

export type { AuditAlert, CollectorAlert, LoginAlert };

/** The self-watches' alerts are raised by their own watches (collector-watch.ts, audit-watch.ts, login-watch.ts). */
export type Alert = LifecycleAlert | SpikeAlert | HeartbeatAlert | BackupAlert | DeliveryAlert | CollectorAlert | AuditAlert | LoginAlert;

/** A watch raising alerts of its own (heartbeat.ts, backup-watch.ts, …). */
export interface AlertWatch {
  /**
   * The alert could not be written to the outbox: forget having raised it (any type: the watch ignores those not
   * its own), so that it is raised again.
   */
  notQueued(alert: Alert): void;
}

/**
 * What an alert is about besides its service, as its watch tells it apart (the exporter, the account or network,
 * the failing receiver); undefined when the service alone says it.
 */
export function subjectOf(alert: Alert): string | undefined {
  switch (alert.type) {
    case 'collector_export_failed':
    case 'collector_queue_full':
    case 'collector_export_recovered':
      return alert.exporter;
    case 'login_failure_spike':
      return `${alert.scope}:${alert.subject}`;
    case 'delivery_failed':
    case 'delivery_recovered':
      return alert.receiver;
    default:
      return undefined;
  }
}

export interface RulesOptions {
  store: StateStore;
  threshold: number;
  windowMs: number;
  cooldownMs: number;
  /** Wait after a failed spike delivery before offering it again (default 30 s). */
  redeliveryMs?: number;
  /** Told about decisions that send nothing (suppressed by the cooldown, a spike over before delivery). */
  onNote?: (note: string, fields: Record<string, unknown>) => void;
  /** Services whose errors are tracked at once (default 1000): memory stays bounded whatever names arrive. */
  maxServices?: number;
}

const key = (type: AlertType, service: string) => `${type}\u0000${service}`;

export class AlertRules {
  private readonly windows = new Map<string, ErrorWindow>();
  private readonly spikes = new Map<string, SpikeState>();
  /** Alerts handed out whose delivery has not reported back. */
  private readonly inFlight = new Set<string>();
  private readonly store: StateStore;
  private readonly threshold: number;
  private readonly windowMs: number;
  private readonly cooldownMs: number;
  private readonly redeliveryMs: number;
  private readonly note: NonNullable<RulesOptions['onNote']>;
  private readonly maxServices: number;
  private warnedAboutServices = false;

  constructor(options: RulesOptions) {
    this.store = options.store;
    this.threshold = options.threshold;
    this.windowMs = options.windowMs;
    this.cooldownMs = options.cooldownMs;
    this.redeliveryMs = options.redeliveryMs ?? 30_000;
    this.note = options.onNote ?? (() => undefined);
    this.maxServices = options.maxServices ?? 1000;
    for (const spike of this.store.spikes()) this.spikes.set(spike.service, spike);
  }

  /** The alerts to send for new signals. */
  observe(signals: AlertSignal[], now: number): Alert[] {
    const alerts: Alert[] = [];
    const touched = new Set<string>();
    for (const signal of signals) {
      if (signal.kind === 'lifecycle') {
        const alert = this.lifecycle(signal, now);
        if (alert) alerts.push(alert);
      } else {
        this.recordError(signal, now);
        touched.add(signal.service);
      }
    }
    for (const service of touched) alerts.push(...this.evaluate(service, now));
    return alerts;
  }

  /** The time-driven part: spikes end when no traffic arrives at all, and failed deliveries are offered again. */
  tick(now: number): Alert[] {
    const services = new Set([...this.windows.keys(), ...this.spikes.keys()]);
    const alerts: Alert[] = [];
    for (const service of services) alerts.push(...this.evaluate(service, now));
    return alerts;
  }

  delivered(alert: Alert, now: number): void {
    this.inFlight.delete(key(alert.type, alert.service));
    if (alert.type === 'heartbeat_missing' || alert.type === 'heartbeat_resumed') return;
    if (alert.type === 'error_spike_resolved') {
      // Announced as over. Had it flared up again meanwhile, the next evaluation opens a new spike.
      this.dropSpike(alert.service);
      return;
    }
    this.store.recordSent(alert.type, alert.service, now);
    if (alert.type === 'error_spike') this.updateSpike(alert.service, (spike) => ({ ...spike, notified: true, lastFailureMs: null }));
  }

  /** Alerts already on their way (left in the outbox by a previous run): not handed out again. */
  pending(alerts: Alert[]): void {
    for (const alert of alerts) this.inFlight.add(key(alert.type, alert.service));
  }

  /**
   * A silence or mute window held the alert back at delivery: no cooldown is consumed (the next such event is
   * checked again), and a muted spike is treated as one suppressed by the cooldown — it ends without a message.
   */
  silenced(alert: Alert): void {
    this.inFlight.delete(key(alert.type, alert.service));
    if (alert.type === 'error_spike') this.updateSpike(alert.service, (spike) => ({ ...spike, suppressed: true }));
  }

  failed(alert: Alert, now: number): void {
    this.inFlight.delete(key(alert.type, alert.service));
    if (alert.type === 'error_spike' || alert.type === 'error_spike_resolved') {
      this.updateSpike(alert.service, (spike) => ({ ...spike, lastFailureMs: now }));
    }
  }

  /** The spikes the rules hold (open, or over but not yet announced). */
  openSpikes(): SpikeState[] {
    return [...this.spikes.values()];
  }

  private coolingDown(type: AlertType, service: string, now: number): boolean {
    const last = this.store.lastSent(type, service);
    return last !== undefined && now - last < this.cooldownMs;
  }

  private handOut<T extends Alert>(alert: T): T | undefined {
    const k = key(alert.type, alert.service);
    if (this.inFlight.has(k)) return undefined;
    this.inFlight.add(k);
    return alert;
  }

  private lifecycle(signal: LifecycleSignal, now: number): Alert | undefined {
    if (this.coolingDown(signal.event, signal.service, now)) {
      this.note('alert suppressed by the cooldown', { 'alert.type': signal.event, 'service.name': signal.service });
      return undefined;
    }
    return this.handOut({ type: signal.event, service: signal.service, atMs: now, event: signal });
  }

  private recordError(signal: ErrorSignal, now: number): void {
    let window = this.windows.get(signal.service);
    if (!window) {
      if (this.windows.size >= this.maxServices) {
        if (!this.warnedAboutServices)
          this.note('too many services with errors at once: errors of further services are not counted', {
            max_services: this.maxServices,
          });
        this.warnedAboutServices = true;
        return;
      }
      window = new ErrorWindow(this.windowMs);
      this.windows.set(signal.service, window);
    }
    const isNew = window.add(signal.traceId, signal.description, now);
    const spike = this.spikes.get(signal.service);
    if (isNew && spike?.status === 'open') spike.failingRequests += 1;
  }

  private evaluate(service: string, now: number): Alert[] {
    const window = this.windows.get(service);
    const inWindow = window?.count(now) ?? 0;
    if (window?.isEmpty) this.windows.delete(service);
    let spike = this.spikes.get(service);
    const before = spike && JSON.stringify(spike);

    if (inWindow > this.threshold && spike?.status !== 'open') {
      if (spike) {
        // Back above the threshold before the last spike's resolution went out: that spike simply goes on.
        spike.status = 'open';
        spike.resolvedAtMs = null;
      } else {
        spike = {
          service,
          status: 'open',
          openedAtMs: now,
          notified: false,
          suppressed: false,
          failingRequests: inWindow,
          peakInWindow: inWindow,
          sampleTraceId: window?.sample?.traceId ?? '',
          sampleDescription: window?.sample?.description ?? '',
          belowSinceMs: null,
          resolvedAtMs: null,
          lastFailureMs: null,
        };
      }
      this.spikes.set(service, spike);
    }
    if (!spike) return [];

    const alerts: Alert[] = [];
    const context = { service, atMs: now, inWindow, threshold: this.threshold, windowMs: this.windowMs };
    const mayRedeliver = spike.lastFailureMs === null || now - spike.lastFailureMs >= this.redeliveryMs;

    if (spike.status === 'open') {
      spike.peakInWindow = Math.max(spike.peakInWindow, inWindow);
      if (inWindow > this.threshold) spike.belowSinceMs = null;
      else spike.belowSinceMs ??= now;

      const quietForAWindow = spike.belowSinceMs !== null && now - spike.belowSinceMs >= this.windowMs;
      // A critical still being delivered may yet succeed: its spike waits, so the resolution can follow it.
      if (quietForAWindow && this.inFlight.has(key('error_spike', service))) {
        // wait for the delivery to report back
      } else if (quietForAWindow) {
        if (!spike.notified) {
          this.note(
            spike.suppressed
              ? 'error spike over (its alert was suppressed: cooldown or silence)'
              : 'error spike over before its alert could be delivered',
            {
              'service.name': service,
              failing_requests: spike.failingRequests,
            },
          );
          this.dropSpike(service);
          return [];
        }
        spike.status = 'resolved';
        spike.resolvedAtMs = now;
        spike.lastFailureMs = null;
      } else if (!spike.notified && !spike.suppressed && mayRedeliver) {
        if (this.coolingDown('error_spike', service, now)) {
          spike.suppressed = true;
          this.note('alert suppressed by the cooldown', { 'alert.type': 'error_spike', 'service.name': service });
        } else {
          const alert = this.handOut<SpikeAlert>({ type: 'error_spike', ...context, spike: { ...spike } });
          if (alert) alerts.push(alert);
        }
      }
    }
    if (spike.status === 'resolved' && (spike.lastFailureMs === null || mayRedeliver)) {
      const alert = this.handOut<SpikeAlert>({ type: 'error_spike_resolved', ...context, spike: { ...spike } });
      if (alert) alerts.push(alert);
    }
    if (JSON.stringify(spike) !== before) this.store.saveSpike(spike);
    return alerts;
  }

  private updateSpike(service: string, change: (spike: SpikeState) => SpikeState): void {
    const spike = this.spikes.get(service);
    if (!spike) return;
    const next = change(spike);
    this.spikes.set(service, next);
    this.store.saveSpike(next);
  }

  private dropSpike(service: string): void {
    this.spikes.delete(service);
    this.store.deleteSpike(service);
  }
}
