import type { Logger } from '@otel';
import type { Heartbeat } from './heartbeat';
import { buildGroupMessage, buildSlackMessage, MAX_GROUP, type AlertLinks } from './message';
import type { Outbox, OutboxEntry } from './outbox';
import { SEVERITY_OF, type Alert, type AlertRules } from './rules';
import type { Silencer } from './silencer';
import type { SlackClient } from './slack-client';

export interface AlerterOptions {
  /** First wait before an outbox entry that failed is posted again; doubles per failure up to `maxRetryDelayMs`. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** ALERT_GROUP_SECONDS in ms: alerts of one type within this time go out as one message; 0: each alone. */
  groupMs?: number;
}

export interface AlerterParts {
  rules: AlertRules;
  slack: SlackClient;
  outbox: Outbox;
  links: AlertLinks;
  logger: Logger;
  /** Silences and mute windows, checked when an alert is about to be posted. */
  silencer?: Silencer;
  /** Told when a heartbeat_missing is muted (its end then sends nothing). */
  heartbeat?: Heartbeat;
  /**
   * Replicas (ALERTS_DATABASE_URL): hands a group to the shared outbox instead of posting it; the replica holding
   * the lease posts it (shared/shared-sender.ts). When this throws — the database is gone — the group is posted
   * directly: duplicates among replicas rather than silence.
   */
  relay?: (entries: OutboxEntry[]) => Promise<void>;
}

/**
 * Delivers the alerts the rules hand out: each is written to the outbox first, then one sender posts the outbox
 * in order (the Slack client paces the posts). With a group window, alerts of one type that arrive within it wait
 * for it to close and go out as one message with their count (message.ts). Just before posting, each alert is
 * checked against the silences and mute windows: a muted one leaves the outbox unsent, is logged (`alert
 * muted`) and counted where it was muted. Outcomes go back to the rules: a delivered alert consumes its
 * cooldown; one Slack refuses for good (a 4xx other than 429) is dropped, logged at error, and consumes none; one
 * that failed for a reason that may pass (5xx, network, rate limit) stays in the outbox and is posted again later —
 * after a restart too. Entries left in the outbox at start are taken up again (and the rules told, so they do
 * not hand the same alert out twice).
 */
export class Alerter {
  private sending: Promise<void> | undefined;
  private wakeTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly rules: AlertRules;
  private readonly slack: SlackClient;
  private readonly outbox: Outbox;
  private readonly links: AlertLinks;
  private readonly logger: Logger;
  private readonly silencer: Silencer | undefined;
  private readonly heartbeat: Heartbeat | undefined;
  private readonly relay: AlerterParts['relay'];
  private relayFailing = false;
  private readonly retryDelayMs: number;
  private readonly maxRetryDelayMs: number;
  private readonly groupMs: number;

  constructor(
    parts: AlerterParts,
    options: AlerterOptions = {},
    private readonly now: () => number = Date.now,
  ) {
    ({ rules: this.rules, slack: this.slack, outbox: this.outbox, links: this.links, logger: this.logger } = parts);
    this.silencer = parts.silencer;
    this.heartbeat = parts.heartbeat;
    this.relay = parts.relay;
    this.retryDelayMs = options.retryDelayMs ?? 1_000;
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? 60_000;
    this.groupMs = options.groupMs ?? 0;
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
    for (const alert of alerts) this.outbox.enqueue(alert, buildSlackMessage(alert, this.links), now, this.groupMs);
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
      const group = this.outbox.nextGroup(this.now(), MAX_GROUP);
      if (group.length === 0) return;
      await this.deliver(group);
    }
  }

  /** Removes the muted entries of the group (logged, counted); returns the others. */
  private async unmuted(group: OutboxEntry[]): Promise<OutboxEntry[]> {
    if (!this.silencer) return group;
    const now = this.now();
    const kept: OutboxEntry[] = [];
    for (const entry of group) {
      const { alert } = entry;
      const mutedBy = await this.silencer.mutedBy(alert, now);
      if (!mutedBy) {
        kept.push(entry);
        continue;
      }
      this.outbox.remove(entry.id);
      this.rules.silenced(alert);
      if (alert.type === 'heartbeat_missing') {
        this.heartbeat?.silenced(alert.service);
        // A resolution already queued behind it would announce the end of something nobody was told about.
        this.outbox.removeLater('heartbeat_resumed', alert.service, entry.id);
      }
      this.logger.info(
        {
          'event.name': 'alerts.muted',
          'alert.type': alert.type,
          'alert.severity': SEVERITY_OF[alert.type],
          'service.name': alert.service,
          ...(mutedBy.kind === 'silence' ? { silence_id: mutedBy.id, silence_comment: mutedBy.comment } : { mute_window: mutedBy.spec }),
        },
        `alert muted (not sent) by ${mutedBy.kind === 'silence' ? `silence ${mutedBy.id}` : `mute window "${mutedBy.spec}"`}`,
      );
    }
    return kept;
  }

  /** Hands the group to the shared outbox; false when the database did not take it. */
  private async relayed(group: OutboxEntry[]): Promise<boolean> {
    try {
      await this.relay!(group);
    } catch (error) {
      if (!this.relayFailing) {
        this.logger.error(
          { err: error, 'event.name': 'alerts.fail_open' },
          'the alerts database does not answer: this replica posts its alerts to Slack itself until it does (other replicas may post the same ones: duplicates rather than silence)',
        );
      }
      this.relayFailing = true;
      return false;
    }
    if (this.relayFailing)
      this.logger.info({ 'event.name': 'alerts.fail_open_over' }, 'the alerts database answers again: alerts go through the shared outbox');
    this.relayFailing = false;
    for (const entry of group) {
      // Handed to the shared sender: as good as delivered for this replica's rules (the sender pairs
      // resolutions with what was really posted).
      this.outbox.remove(entry.id);
      this.rules.delivered(entry.alert, this.now());
    }
    return true;
  }

  private async deliver(group: OutboxEntry[]): Promise<void> {
    const [first] = group;
    if (!first) return;
    const fields = {
      'alert.type': first.alert.type,
      'alert.severity': SEVERITY_OF[first.alert.type],
      'service.name': [...new Set(group.map((entry) => entry.alert.service))].join(','),
      ...(group.length > 1 ? { 'alert.count': group.length } : {}),
    };
    const ids = group.map((entry) => entry.id);
    if (this.relay && (await this.relayed(group))) return;
    try {
      const entries = await this.unmuted(group);
      if (entries.length === 0) return;
      const alerts = entries.map((entry) => entry.alert);
      const message = entries.length === 1 ? entries[0]!.message : buildGroupMessage(alerts, this.links);
      const result = await this.slack.send(message);
      if (result.ok) {
        for (const entry of entries) {
          this.outbox.remove(entry.id);
          this.rules.delivered(entry.alert, this.now());
        }
        if (!result.skipped)
          this.logger.info({ ...fields, attempts: result.attempts }, `alert sent to Slack: ${message.text.split('\n')[0]}`);
        return;
      }
      if (result.retryable) {
        const attempts = Math.max(...entries.map((entry) => entry.attempts));
        const delay = Math.min(this.retryDelayMs * 2 ** attempts, this.maxRetryDelayMs);
        for (const entry of entries) this.outbox.retryAt(entry.id, this.now() + delay);
        this.logger.error(
          { ...fields, attempts: result.attempts, reason: result.reason, retry_in_ms: delay },
          'alert could not be delivered to Slack (kept in the outbox, posted again later)',
        );
        return;
      }
      for (const entry of entries) {
        this.outbox.remove(entry.id);
        this.rules.failed(entry.alert, this.now());
      }
      this.logger.error(
        { ...fields, attempts: result.attempts, reason: result.reason },
        'alert could not be delivered to Slack (refused: dropped)',
      );
    } catch (error) {
      // Never let one alert take the process down; the entries stay and are tried again.
      try {
        for (const id of ids) this.outbox.retryAt(id, this.now() + this.maxRetryDelayMs);
      } catch {
        // the outbox may be gone during shutdown
      }
      this.logger.error({ ...fields, err: error }, 'alert delivery failed unexpectedly');
    }
  }
}
