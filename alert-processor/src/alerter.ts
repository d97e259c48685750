import type { Logger } from '@otel';
import { buildSlackMessage, type AlertLinks } from './message';
import type { Outbox, OutboxEntry } from './outbox';
import { SEVERITY_OF, type Alert, type AlertRules } from './rules';
import type { SlackClient } from './slack-client';

export interface AlerterOptions {
  /** First wait before an outbox entry that failed is posted again; doubles per failure up to `maxRetryDelayMs`. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
}

/**
 * Delivers the alerts the rules hand out: each is written to the outbox first, then one sender posts the outbox
 * in order (the Slack client paces the posts). Outcomes go back to the rules: a delivered alert consumes its
 * cooldown; one Slack refuses for good (a 4xx other than 429) is dropped, logged at error, and consumes none; one
 * that failed for a reason that may pass (5xx, network, rate limit) stays in the outbox and is posted again later —
 * after a restart too. Entries left in the outbox at start are taken up again (and the rules told, so they do
 * not hand the same alert out twice).
 */
export class Alerter {
  private sending: Promise<void> | undefined;
  private wakeTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly retryDelayMs: number;
  private readonly maxRetryDelayMs: number;

  constructor(
    private readonly rules: AlertRules,
    private readonly slack: SlackClient,
    private readonly outbox: Outbox,
    private readonly links: AlertLinks,
    private readonly logger: Logger,
    options: AlerterOptions = {},
    private readonly now: () => number = Date.now,
  ) {
    this.retryDelayMs = options.retryDelayMs ?? 1_000;
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? 60_000;
  }

  /** Takes up what a previous run left in the outbox. */
  resume(): number {
    const entries = this.outbox.entries();
    this.rules.pending(entries.map((entry) => entry.alert));
    this.kick();
    return entries.length;
  }

  dispatch(alerts: Alert[]): void {
    if (alerts.length === 0) return;
    const now = this.now();
    for (const alert of alerts) this.outbox.enqueue(alert, buildSlackMessage(alert, this.links), now);
    this.kick();
  }

  /** Entries in the outbox (waiting, or being posted). */
  get pending(): number {
    return this.outbox.size;
  }

  /**
   * Posts what is due until the outbox holds nothing due or timeoutMs has passed, then stops posting. Resolves
   * true when nothing due was left behind. What is left stays in the outbox for the next start.
   */
  async drain(timeoutMs: number): Promise<boolean> {
    const deadline = this.now() + timeoutMs;
    for (;;) {
      if (this.sending) {
        const remaining = deadline - this.now();
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, remaining))));
        await Promise.race([this.sending, timeout]);
        clearTimeout(timer);
      }
      const due = this.outbox.nextDue(this.now());
      if (!due || this.now() >= deadline) {
        this.stopped = true;
        clearTimeout(this.wakeTimer);
        return !due && !this.sending;
      }
      this.kick();
    }
  }

  private kick(): void {
    if (this.stopped || this.sending) return;
    clearTimeout(this.wakeTimer);
    this.sending = this.pump().finally(() => {
      this.sending = undefined;
      this.scheduleWake();
    });
  }

  private scheduleWake(): void {
    if (this.stopped) return;
    const at = this.outbox.nextAttemptAt();
    if (at === undefined) return;
    clearTimeout(this.wakeTimer);
    this.wakeTimer = setTimeout(() => this.kick(), Math.max(0, at - this.now()));
    this.wakeTimer.unref();
  }

  private async pump(): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      const entry = this.outbox.nextDue(this.now());
      if (!entry) return;
      await this.deliver(entry);
    }
  }

  private async deliver(entry: OutboxEntry): Promise<void> {
    const { alert, message } = entry;
    const fields = { 'alert.type': alert.type, 'alert.severity': SEVERITY_OF[alert.type], 'service.name': alert.service };
    try {
      const result = await this.slack.send(message);
      if (result.ok) {
        this.outbox.remove(entry.id);
        this.rules.delivered(alert, this.now());
        if (!result.skipped) this.logger.info({ ...fields, attempts: result.attempts }, `alert sent to Slack: ${message.text.split('\n')[0]}`);
        return;
      }
      if (result.retryable) {
        const delay = Math.min(this.retryDelayMs * 2 ** entry.attempts, this.maxRetryDelayMs);
        this.outbox.retryAt(entry.id, this.now() + delay);
        this.logger.error(
          { ...fields, attempts: result.attempts, reason: result.reason, retry_in_ms: delay },
          'alert could not be delivered to Slack (kept in the outbox, posted again later)',
        );
        return;
      }
      this.outbox.remove(entry.id);
      this.rules.failed(alert, this.now());
      this.logger.error({ ...fields, attempts: result.attempts, reason: result.reason }, 'alert could not be delivered to Slack (refused: dropped)');
    } catch (error) {
      // Never let one alert take the process down; the entry stays and is tried again.
      try {
        this.outbox.retryAt(entry.id, this.now() + this.maxRetryDelayMs);
      } catch {
        // the outbox may be gone during shutdown
      }
      this.logger.error({ ...fields, err: error }, 'alert delivery failed unexpectedly');
    }
  }
}
