import {
  ATTR_AUTH_EMAIL_MASKED,
  ATTR_AUTH_FAILURE_REASON,
  ATTR_CLIENT_NETWORK,
  ATTR_EVENT_NAME,
  ATTR_USER_ID,
  EVENT_AUDIT_LOGIN_FAILURE,
} from '@otel';
import type { OtlpLogRecord } from '../intake/otlp/decode';
import { serviceOf } from './signals';
import type { Alert, AlertWatch } from './rules';

/**
 * The security alert from the audit trail: a spike of refused sign-ins. The app emits one `audit.login_failure` record
 * per refused sign-in once its audit entry has committed (src/server/auth/login-failure-event.ts), already reduced by
 * the redaction policy: the account's `user.id` (an unknown account only as a masked email), the client's network
 * (`/24`, `/48`), the reason. Counted in a sliding window of `windowMs` (ALERT_LOGIN_WINDOW_SECONDS):
 * - per account (`user.id`): MORE than `perAccount` (ALERT_LOGIN_FAILURES_PER_ACCOUNT) → someone is guessing one
 *   account's password, from anywhere;
 * - per network: MORE than `perNetwork` (ALERT_LOGIN_FAILURES_PER_NETWORK) → one place is trying many accounts
 *   (password spraying, credential stuffing), unknown emails included.
 * `login_failure_spike` (critical) once per account or network per `cooldownMs` (ALERT_COOLDOWN_SECONDS): an attack
 * that goes on is told again after the cooldown, with the count of the window. What reaches Slack and email: the
 * account id, the network, the counts, the reasons and up to three masked unknown emails — never an email address of
 * an account, a full IP address or a password. Memory is bounded: at most `maxKeys` accounts and networks are counted.
 */
export interface LoginFailureSignal {
  service: string;
  /** The account's id; undefined for an email that belongs to no account. */
  userId?: string;
  maskedEmail?: string;
  network: string;
  reason: string;
}

export interface LoginAlert {
  type: 'login_failure_spike';
  service: string;
  atMs: number;
  /** Per account (`user.id`) or per client network. */
  scope: 'account' | 'network';
  /** The account id or the network. */
  subject: string;
  failures: number;
  threshold: number;
  windowMs: number;
  /** Failures by reason within the window. */
  reasons: Record<string, number>;
  /** Per account: the distinct networks the failures came from. Per network: the distinct known accounts tried. */
  spread: number;
  /** Per network: failures on emails that belong to no account. */
  unknownAccountFailures: number;
  /** Up to three masked emails of unknown accounts tried (per network). */
  maskedEmails: string[];
}

export interface LoginWatchOptions {
  perAccount: number;
  perNetwork: number;
  windowMs: number;
  cooldownMs: number;
  maxKeys?: number;
}

interface Failure {
  atMs: number;
  reason: string;
  /** The other dimension: the network (per account) or the account id (per network; undefined for an unknown email). */
  other?: string;
  maskedEmail?: string;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value.slice(0, 200) : undefined);

export function loginFailuresFromLogs(records: readonly OtlpLogRecord[]): LoginFailureSignal[] {
  const signals: LoginFailureSignal[] = [];
  for (const record of records) {
    if ((record.eventName || record.attributes[ATTR_EVENT_NAME]) !== EVENT_AUDIT_LOGIN_FAILURE) continue;
    signals.push({
      service: serviceOf(record.resource),
      userId: text(record.attributes[ATTR_USER_ID]),
      maskedEmail: text(record.attributes[ATTR_AUTH_EMAIL_MASKED]),
      network: text(record.attributes[ATTR_CLIENT_NETWORK]) ?? 'unknown',
      reason: text(record.attributes[ATTR_AUTH_FAILURE_REASON]) ?? 'unknown',
    });
  }
  return signals;
}

export class LoginWatch implements AlertWatch {
  private readonly windows = new Map<string, Failure[]>();
  private readonly lastAlertMs = new Map<string, number>();
  private readonly maxKeys: number;
  private full = false;

  constructor(
    private readonly options: LoginWatchOptions,
    private readonly onNote: (note: string, fields: Record<string, unknown>) => void = () => undefined,
  ) {
    this.maxKeys = options.maxKeys ?? 10_000;
  }

  observe(signals: readonly LoginFailureSignal[], now: number): LoginAlert[] {
    const alerts: LoginAlert[] = [];
    const touched = new Set<string>();
    for (const signal of signals) {
      if (signal.userId) {
        touched.add(this.add(signal.service, 'account', signal.userId, { atMs: now, reason: signal.reason, other: signal.network }, now));
      }
      touched.add(
        this.add(
          signal.service,
          'network',
          signal.network,
          {
            atMs: now,
            reason: signal.reason,
            other: signal.userId,
            maskedEmail: signal.userId ? undefined : (signal.maskedEmail ?? 'unknown'),
          },
          now,
        ),
      );
    }
    for (const key of touched) {
      const alert = this.evaluate(key, now);
      if (alert) alerts.push(alert);
    }
    return alerts;
  }

  /** Forgets failures older than the window (memory stays bounded however many addresses there are). */
  tick(now: number): void {
    for (const [key, failures] of this.windows) {
      const kept = failures.filter((failure) => now - failure.atMs < this.options.windowMs);
      if (kept.length === 0) this.windows.delete(key);
      else this.windows.set(key, kept);
    }
    for (const [key, at] of this.lastAlertMs) if (now - at >= this.options.cooldownMs) this.lastAlertMs.delete(key);
    if (this.windows.size < this.maxKeys) this.full = false;
  }

  notQueued(alert: Alert): void {
    if (alert.type === 'login_failure_spike') this.lastAlertMs.delete(JSON.stringify([alert.service, alert.scope, alert.subject]));
  }

  private add(service: string, scope: LoginAlert['scope'], subject: string, failure: Failure, now: number): string {
    const key = JSON.stringify([service, scope, subject]);
    let failures = this.windows.get(key);
    if (!failures) {
      if (this.windows.size >= this.maxKeys) {
        if (!this.full)
          this.onNote('too many accounts and networks with refused sign-ins at once: further ones are not counted', {
            max_keys: this.maxKeys,
          });
        this.full = true;
        return key;
      }
      failures = [];
      this.windows.set(key, failures);
    }
    while (failures.length > 0 && now - failures[0]!.atMs >= this.options.windowMs) failures.shift();
    failures.push(failure);
    return key;
  }

  private evaluate(key: string, now: number): LoginAlert | undefined {
    const failures = this.windows.get(key);
    if (!failures) return undefined;
    const [service, scope, subject] = JSON.parse(key) as [string, LoginAlert['scope'], string];
    const threshold = scope === 'account' ? this.options.perAccount : this.options.perNetwork;
    if (failures.length <= threshold) return undefined;
    const last = this.lastAlertMs.get(key);
    if (last !== undefined && now - last < this.options.cooldownMs) return undefined;
    this.lastAlertMs.set(key, now);
    // A Map: the reason comes from the record (`__proto__`, `constructor`).
    const reasons = new Map<string, number>();
    for (const failure of failures) reasons.set(failure.reason, (reasons.get(failure.reason) ?? 0) + 1);
    const masked = [
      ...new Set(failures.flatMap((failure) => (failure.maskedEmail && failure.maskedEmail !== 'unknown' ? [failure.maskedEmail] : []))),
    ];
    return {
      type: 'login_failure_spike',
      service,
      atMs: now,
      scope,
      subject,
      failures: failures.length,
      threshold,
      windowMs: this.options.windowMs,
      reasons: Object.fromEntries(reasons),
      spread: new Set(failures.flatMap((failure) => (failure.other ? [failure.other] : []))).size,
      unknownAccountFailures: failures.filter((failure) => failure.maskedEmail !== undefined).length,
      maskedEmails: masked.slice(0, 3),
    };
  }
}
