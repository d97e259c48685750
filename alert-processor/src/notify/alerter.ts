import type { Logger } from '@otel';
import type { Heartbeat } from '../rules/heartbeat';
import type { Receiver } from './receiver';
import { buildSlackMessage, MAX_GROUP, type AlertLinks } from './slack-message';
import { DEFAULT_ROUTES, parseRoutes, receiversFor, type ReceiverName, type Routes } from './routes';
import type { NewEntry, Outbox, OutboxEntry } from '../store/outbox';
import { SEVERITY_OF, type Alert, type AlertRules, type AlertWatch, type DeliveryAlert } from '../rules/rules';
import type { Silencer } from '../silence/silencer';
import type { StateStore } from '../store/state-store';

export interface AlerterOptions {
  /** First wait before an outbox entry that failed is posted again; doubles per failure up to `maxRetryDelayMs`. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** ALERT_GROUP_SECONDS in ms: alerts of one type within this time go out as one message; 0: each alone. */
  groupMs?: number;
  /** Replicas: how often relayed entries are checked against the shared outbox. */
  reconcileMs?: number;
  /** Replicas: a relayed entry the database has not posted this long after it took it, while the database does not answer, is posted directly. */
  failOpenAfterMs?: number;
  /** Failed deliveries in a row to one receiver before the other receiver is told (delivery_failed); default 3. */
  failuresBeforeAlert?: number;
  /** service.name of the processor's own alerts (default drop-alert-processor). */
  serviceName?: string;
}

interface ReceiverTrouble {
  sinceMs: number;
  failures: number;
  reason: string;
  /** delivery_failed went to the other receiver: its recovery will too. */
  notified: boolean;
}

const DELIVERY_WATCH = 'delivery';

export interface AlerterParts {
  rules: AlertRules;
  slack: Receiver;
  /** The second receiver (SMTP); undefined: no email. */
  email?: Receiver;
  /** Which receivers get which alerts (ALERT_ROUTES; default: every alert to Slack, criticals and resolutions by email too). */
  routes?: Routes;
  outbox: Outbox;
  links: AlertLinks;
  logger: Logger;
  /** Silences and mute windows, checked when an alert is about to be posted. */
  silencer?: Silencer;
  /** Told when a heartbeat_missing is muted (its end then sends nothing). */
  heartbeat?: Heartbeat;
  /** Where a failing receiver is remembered (watch `delivery`), so that its recovery is told after a restart too. */
  state?: Pick<StateStore, 'watches' | 'saveWatch' | 'deleteWatch'>;
  /** The watches that raise alerts besides the rules: told when what they raised could not be written to the outbox. */
  watches?: readonly AlertWatch[];
  /**
   * Replicas (ALERTS_DATABASE_URL): hands a group (Slack's or email's) to the shared outbox instead of delivering
   * it; the replica holding the lease delivers it (cluster/shared-sender.ts). When this throws — the database is gone — the group is posted
   * directly: duplicates among replicas rather than silence. Returns the shared rows' ids.
   */
  relay?: (entries: OutboxEntry[]) => Promise<number[]>;
  /** Replicas: which shared rows are still waiting to be posted (throws when the database does not answer). */
  stillQueued?: (ids: number[]) => Promise<Set<number>>;
}

/**
 * Delivers the alerts the rules hand out: each is written to the outbox first (one entry per receiver it is routed
 * to), then one sender delivers the outbox in order, a group of one type and receiver at a time. With a group
 * window, alerts of one type that arrive within it wait for it to close and go out as one message with their
 * count. Just before delivery, each alert is checked against the silences and mute windows: a muted one leaves the
 * outbox unsent, is logged (`alert muted`) and counted where it was muted. The receiver's answer
 * (notify/receiver.ts) alone decides what follows, and goes back to the rules: delivered — the entry leaves and
 * the alert consumes its cooldown; give_up — it is dropped, logged at error, and consumes none; retry — it stays
 * in the outbox and is tried again later, after a restart too. Entries left in the outbox at start are taken up
 * again (and the rules told, so they do not hand the same alert out twice). With replicas, an entry handed to the
 * shared outbox stays here (relayed) until the sender has delivered it — or, when the database stops answering, is
 * taken back and delivered directly.
 */
export class Alerter {
  private sending: Promise<void> | undefined;
  private wakeTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly rules: AlertRules;
  private readonly slack: Receiver;
  private readonly email: Receiver | undefined;
  private readonly routes: Routes;
  private readonly available: ReceiverName[];
  private readonly outbox: Outbox;
  private readonly links: AlertLinks;
  private readonly logger: Logger;
  private readonly silencer: Silencer | undefined;
  private readonly heartbeat: Heartbeat | undefined;
  private readonly watches: readonly AlertWatch[];
  private readonly relay: AlerterParts['relay'];
  private readonly stillQueued: AlerterParts['stillQueued'];
  private relayFailing = false;
  private reconcileTimer: NodeJS.Timeout | undefined;
  private reconciling: Promise<void> | undefined;
  private readonly reconcileMs: number;
  private readonly failOpenAfterMs: number;
  private readonly retryDelayMs: number;
  private readonly maxRetryDelayMs: number;
  private readonly groupMs: number;
  private readonly failuresBeforeAlert: number;
  private readonly serviceName: string;
  private readonly trouble: Map<ReceiverName, ReceiverTrouble>;
  private readonly state: AlerterParts['state'];

  constructor(
    parts: AlerterParts,
    options: AlerterOptions = {},
    private readonly now: () => number = Date.now,
  ) {
    ({ rules: this.rules, slack: this.slack, outbox: this.outbox, links: this.links, logger: this.logger } = parts);
    this.silencer = parts.silencer;
    this.email = parts.email;
    this.routes = parts.routes ?? parseRoutes(DEFAULT_ROUTES);
    this.available = this.email ? ['slack', 'email'] : ['slack'];
    this.heartbeat = parts.heartbeat;
    this.watches = parts.watches ?? [];
    this.state = parts.state;
    this.trouble = (this.state?.watches<ReceiverTrouble>(DELIVERY_WATCH) as Map<ReceiverName, ReceiverTrouble> | undefined) ?? new Map();
    this.relay = parts.relay;
    this.stillQueued = parts.stillQueued;
    this.reconcileMs = options.reconcileMs ?? 1_000;
    this.failOpenAfterMs = options.failOpenAfterMs ?? 5_000;
    this.retryDelayMs = options.retryDelayMs ?? 1_000;
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? 60_000;
    this.groupMs = options.groupMs ?? 0;
    this.failuresBeforeAlert = options.failuresBeforeAlert ?? 3;
    this.serviceName = options.serviceName ?? 'drop-alert-processor';
  }

  /** Takes up what a previous run left in the outbox. */
  async resume(): Promise<number> {
    const entries = await this.outbox.entries();
    this.rules.pending(entries.map((entry) => entry.alert));
    this.kick();
    if (this.stillQueued) {
      this.reconcileTimer = setInterval(() => {
        this.reconciling ??= this.reconcile().finally(() => (this.reconciling = undefined));
      }, this.reconcileMs);
      this.reconcileTimer.unref();
    }
    return entries.length;
  }

  /**
   * Writes the alerts to the outbox (resolved once they are there) and wakes the sender. When the outbox does not
   * take them, the rules and watches are told, so that the same records sent again (the intake answers 503) raise
   * them again, and the error is thrown.
   */
  async dispatch(alerts: Alert[]): Promise<void> {
    if (alerts.length === 0) return;
    const now = this.now();
    const entries: NewEntry[] = [];
    for (const alert of alerts) {
      const receivers = receiversFor(alert, this.routes, this.available);
      if (receivers.length === 0) {
        // Routed nowhere (ALERT_ROUTES): as if delivered, so the rules move on (cooldowns, spike pairing).
        this.logger.info(
          { 'alert.type': alert.type, 'service.name': alert.service },
          'alert routed to no receiver (ALERT_ROUTES): not sent',
        );
        this.rules.delivered(alert, now);
        continue;
      }
      const message = buildSlackMessage(alert, this.links);
      for (const receiver of receivers) entries.push({ alert, message, receiver });
    }
    try {
      await this.outbox.enqueue(entries, now, this.groupMs);
    } catch (error) {
      for (const alert of new Set(entries.map((entry) => entry.alert))) {
        this.rules.failed(alert, now);
        for (const watch of this.watches) watch.notQueued(alert);
      }
      throw error;
    }
    this.kick();
  }

  /** Entries in the outbox (waiting, or being posted). */
  pending(): Promise<number> {
    return this.outbox.size();
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
      const due = await this.outbox.nextDue(this.now()).catch(() => undefined);
      if (!due || this.now() >= deadline) {
        this.stopped = true;
        clearTimeout(this.wakeTimer);
        clearInterval(this.reconcileTimer);
        await this.reconciling;
        return !due && !this.sending;
      }
      this.kick();
    }
  }

  private kick(): void {
    if (this.stopped || this.sending) return;
    clearTimeout(this.wakeTimer);
    this.sending = this.pump()
      .catch((error: unknown) => this.logger.error({ err: error }, 'the outbox could not be read: delivery tried again shortly'))
      .finally(() => {
        this.sending = undefined;
        this.scheduleWake().catch(() => this.wakeIn(this.maxRetryDelayMs));
      });
  }

  private wakeIn(ms: number): void {
    if (this.stopped) return;
    clearTimeout(this.wakeTimer);
    this.wakeTimer = setTimeout(() => this.kick(), ms);
    this.wakeTimer.unref();
  }

  private async scheduleWake(): Promise<void> {
    if (this.stopped) return;
    const at = await this.outbox.nextAttemptAt();
    if (at === undefined || this.stopped || this.sending) return;
    clearTimeout(this.wakeTimer);
    this.wakeTimer = setTimeout(() => this.kick(), Math.max(0, at - this.now()));
    this.wakeTimer.unref();
  }

  private async pump(): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      const group = await this.outbox.nextGroup(this.now(), MAX_GROUP);
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
      await this.outbox.remove([entry.id]);
      this.rules.silenced(alert);
      if (alert.type === 'heartbeat_missing') {
        this.heartbeat?.silenced(alert.service);
        // A resolution already queued behind it would announce the end of something nobody was told about.
        await this.outbox.removeLater('heartbeat_resumed', alert.service, entry.id);
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

  private failOpen(error: unknown): void {
    if (!this.relayFailing) {
      this.logger.error(
        { err: error, 'event.name': 'alerts.fail_open' },
        'the alerts database does not answer: this replica posts its alerts to Slack itself until it does (other replicas may post the same ones: duplicates rather than silence)',
      );
    }
    this.relayFailing = true;
  }

  /**
   * Forgets the relayed entries whose shared rows are gone (the sender posted, muted or dropped them). While the
   * database does not answer, takes back those it took more than failOpenAfterMs ago and posts them directly:
   * nobody may be left to post them.
   */
  private async reconcile(): Promise<void> {
    const relayed = await this.outbox.relayed();
    if (relayed.length === 0 || !this.stillQueued) return;
    let queued: Set<number>;
    try {
      queued = await this.stillQueued(relayed.map((entry) => entry.sharedId));
    } catch (error) {
      if (this.stopped) return;
      const now = this.now();
      const stale = relayed.filter((entry) => now - entry.relayedAtMs >= this.failOpenAfterMs);
      if (stale.length === 0) return;
      this.failOpen(error);
      await this.outbox.takeBack(
        stale.map((entry) => entry.id),
        now,
      );
      this.logger.warn(
        { 'event.name': 'alerts.fail_open', count: stale.length },
        'alerts the database took but has not posted: this replica posts them itself (duplicates rather than silence)',
      );
      this.kick();
      return;
    }
    if (this.stopped) return;
    await this.outbox.remove(relayed.filter((entry) => !queued.has(entry.sharedId)).map((entry) => entry.id));
  }

  /** Hands the group to the shared outbox; false when the database did not take it. */
  private async relayed(group: OutboxEntry[]): Promise<boolean> {
    let sharedIds: number[];
    try {
      sharedIds = await this.relay!(group);
    } catch (error) {
      this.failOpen(error);
      return false;
    }
    if (this.relayFailing)
      this.logger.info({ 'event.name': 'alerts.fail_open_over' }, 'the alerts database answers again: alerts go through the shared outbox');
    this.relayFailing = false;
    const now = this.now();
    // Handed to the shared sender: as good as delivered for this replica's rules (the sender pairs resolutions
    // with what was really posted). Kept, relayed, until the database has posted it.
    await this.outbox.markRelayed(
      group.map((entry) => entry.id),
      sharedIds,
      now,
    );
    for (const entry of group) this.rules.delivered(entry.alert, now);
    return true;
  }

  /**
   * The processor watching its own delivery: after `failuresBeforeAlert` failed deliveries in a row to one
   * receiver (at once when the receiver refused an alert for good, which is then lost), the OTHER receiver gets a
   * delivery_failed — Slack failing is told by email and the reverse — and, once the failing one works again, a
   * delivery_recovered. With one receiver there is nobody else to tell: the error lines are all there is.
   */
  private async receiverFails(receiver: ReceiverName, reason: string, refused: boolean): Promise<void> {
    const now = this.now();
    const trouble = this.trouble.get(receiver) ?? { sinceMs: now, failures: 0, reason, notified: false };
    trouble.failures += 1;
    trouble.reason = reason;
    this.trouble.set(receiver, trouble);
    this.state?.saveWatch(DELIVERY_WATCH, receiver, trouble);
    if (trouble.notified || (!refused && trouble.failures < this.failuresBeforeAlert)) return;
    const other = this.available.find((name) => name !== receiver);
    if (!other) return;
    trouble.notified = true;
    this.state?.saveWatch(DELIVERY_WATCH, receiver, trouble);
    await this.enqueueTo(await this.deliveryAlert('delivery_failed', receiver, trouble, now), other);
  }

  private async receiverWorks(receiver: ReceiverName): Promise<void> {
    const trouble = this.trouble.get(receiver);
    if (!trouble) return;
    this.trouble.delete(receiver);
    this.state?.deleteWatch(DELIVERY_WATCH, receiver);
    const other = this.available.find((name) => name !== receiver);
    if (trouble.notified && other)
      await this.enqueueTo(await this.deliveryAlert('delivery_recovered', receiver, trouble, this.now()), other);
  }

  private async deliveryAlert(
    type: DeliveryAlert['type'],
    receiver: ReceiverName,
    trouble: ReceiverTrouble,
    now: number,
  ): Promise<DeliveryAlert> {
    return {
      type,
      service: this.serviceName,
      atMs: now,
      receiver,
      reason: trouble.reason,
      sinceMs: trouble.sinceMs,
      waiting: (await this.outbox.entries()).filter((entry) => entry.receiver === receiver).length,
    };
  }

  /** An alert about a receiver goes to the other one only, whatever ALERT_ROUTES says. */
  private async enqueueTo(alert: DeliveryAlert, receiver: ReceiverName): Promise<void> {
    const log = alert.type === 'delivery_failed' ? this.logger.error.bind(this.logger) : this.logger.info.bind(this.logger);
    log(
      { 'event.name': 'alerts.delivery', 'alert.type': alert.type, receiver: alert.receiver, reason: alert.reason },
      alert.type === 'delivery_failed'
        ? `alert delivery to ${alert.receiver} is failing: telling ${receiver}`
        : `alert delivery to ${alert.receiver} works again: telling ${receiver}`,
    );
    await this.outbox.enqueue([{ alert, message: buildSlackMessage(alert, this.links), receiver }], this.now());
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
    const receiver = first.receiver;
    const target = receiver === 'email' && this.email ? this.email : this.slack;
    if (this.relay && (await this.relayed(group))) return;
    try {
      const entries = await this.unmuted(group);
      if (entries.length === 0) return;
      const { delivery, headline } = await target.notify(entries.map((entry) => entry.alert));
      switch (delivery.status) {
        case 'delivered':
          await this.outbox.remove(entries.map((entry) => entry.id));
          for (const entry of entries) this.rules.delivered(entry.alert, this.now());
          if (!delivery.skipped) {
            await this.receiverWorks(receiver);
            this.logger.info({ ...fields, receiver, attempts: delivery.attempts }, `alert sent to ${target.label}: ${headline}`);
          }
          return;
        case 'retry': {
          const attempts = Math.max(...entries.map((entry) => entry.attempts));
          const delay = Math.min(this.retryDelayMs * 2 ** attempts, this.maxRetryDelayMs);
          await this.outbox.retryAt(
            entries.map((entry) => entry.id),
            this.now() + delay,
          );
          await this.receiverFails(receiver, delivery.reason, false);
          this.logger.error(
            { ...fields, receiver, attempts: delivery.attempts, reason: delivery.reason, retry_in_ms: delay },
            `alert could not be delivered to ${target.label} (kept in the outbox, posted again later)`,
          );
          return;
        }
        case 'give_up':
          await this.outbox.remove(entries.map((entry) => entry.id));
          for (const entry of entries) this.rules.failed(entry.alert, this.now());
          await this.receiverFails(receiver, delivery.reason, true);
          this.logger.error(
            { ...fields, receiver, attempts: delivery.attempts, reason: delivery.reason },
            `alert could not be delivered to ${target.label} (refused: dropped)`,
          );
          return;
      }
    } catch (error) {
      // Never let one alert take the process down; the entries stay and are tried again.
      await this.outbox.retryAt(ids, this.now() + this.maxRetryDelayMs).catch(() => {
        // the outbox may be gone during shutdown
      });
      this.logger.error({ ...fields, err: error }, 'alert delivery failed unexpectedly');
    }
  }
}
