import type { Logger } from '@otel';
import { MAX_GROUP } from '../notify/slack-message';
import type { Receiver } from '../notify/receiver';
import type { ReceiverName } from '../notify/routes';
import { postedKey, type Outbox, type OutboxEntry } from '../store/outbox';
import { SEVERITY_OF, type Alert, type AlertType } from '../rules/rules';
import type { Silencer } from '../silence/silencer';
import type { Lease } from './lease';

/**
 * The one sender among replicas: whichever replica holds the lease delivers the shared outbox to every receiver
 * (Slack and email), as the alerter delivers its own (groups of one type and receiver, silences and mute windows
 * checked first, retries with backoff). Because several replicas may raise the same alert — each sees the
 * telemetry it is sent — the sender also drops duplicates against `alert_posted`, per receiver: an alert of a type
 * and service (and subject: the exporter, the account or network; outbox.ts postedKey) delivered within the cooldown
 * by anyone — unless its recovery was posted since: a new problem — and a resolution whose alert was never delivered
 * (muted, refused) or has been resolved already. A resolution whose alert is still waiting in the outbox (its receiver
 * failed it; it is tried again later) waits behind it.
 */

const RESOLVES: Partial<Record<AlertType, AlertType>> = {
  error_spike_resolved: 'error_spike',
  heartbeat_resumed: 'heartbeat_missing',
};

/** The self-watches' problems and the recovery that ends each: a problem raised again after its recovery is new. */
const RECOVERED_BY: Partial<Record<AlertType, AlertType>> = {
  heartbeat_missing: 'heartbeat_resumed',
  backup_failed: 'backup_recovered',
  backup_stale: 'backup_recovered',
  collector_export_failed: 'collector_export_recovered',
  collector_queue_full: 'collector_export_recovered',
  audit_checkpoint_stale: 'audit_checkpoint_recovered',
  delivery_failed: 'delivery_recovered',
};
const PROBLEMS_OF = new Map<AlertType, AlertType[]>();
for (const [problem, recovery] of Object.entries(RECOVERED_BY) as [AlertType, AlertType][])
  PROBLEMS_OF.set(recovery, [...(PROBLEMS_OF.get(recovery) ?? []), problem]);

export interface SharedSenderOptions {
  outbox: Pick<Outbox, 'claimGroup' | 'remove' | 'retryAt' | 'postpone' | 'waitingBefore' | 'removeLater' | 'lastPosted' | 'recordPosted'>;
  lease: Lease;
  /** The receivers this replica is configured with (every replica should have the same). */
  receivers: Partial<Record<ReceiverName, Receiver>>;
  silencer: Silencer;
  logger: Logger;
  cooldownMs: number;
  /** How long a claimed row is left alone by other senders: longer than one post with all its retries. */
  claimMs: number;
  pollMs?: number;
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** Told whether the database answers (the alerter posts directly while it does not). */
  onDatabase?: (reachable: boolean, error?: unknown) => void;
}

export class SharedSender {
  private timer: NodeJS.Timeout | undefined;
  private renewTimer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private renewing: Promise<void> | undefined;
  private stopped = false;
  /** Delivered but not yet recorded as posted: recorded before anything is claimed again. */
  private readonly unrecorded: { alerts: Alert[]; receiver: ReceiverName; ids: number[]; atMs: number }[] = [];
  private readonly missingReceivers = new Set<ReceiverName>();
  private readonly pollMs: number;
  private readonly retryDelayMs: number;
  private readonly maxRetryDelayMs: number;

  constructor(
    private readonly options: SharedSenderOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.pollMs = options.pollMs ?? 250;
    this.retryDelayMs = options.retryDelayMs ?? 1_000;
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? 60_000;
  }

  start(): void {
    // The lease is renewed on its own timer: a long post (a 429's Retry-After) must not let it lapse.
    this.renewTimer = setInterval(
      () => {
        this.renewing ??= this.renew().finally(() => (this.renewing = undefined));
      },
      Math.max(100, Math.floor(this.options.lease.lengthMs / 3)),
    );
    this.timer = setInterval(() => {
      if (this.options.lease.isHeld || this.unrecorded.length > 0) this.running ??= this.pump().finally(() => (this.running = undefined));
    }, this.pollMs);
    this.renewing = this.renew().finally(() => (this.renewing = undefined));
  }

  /** Stops polling, waits for a post in flight, gives the lease up. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearInterval(this.renewTimer);
    await Promise.all([this.running, this.renewing]);
    await this.recordPosted().catch(() => undefined);
    await this.options.lease.release().catch(() => undefined);
  }

  private async renew(): Promise<void> {
    const { lease, logger } = this.options;
    if (this.stopped) return;
    const wasHeld = lease.isHeld;
    try {
      const held = await lease.acquire(this.now());
      this.options.onDatabase?.(true);
      if (held !== wasHeld)
        logger.info(
          { 'event.name': 'alerts.lease', replica: lease.holder, held },
          held ? 'this replica is the sender now' : 'this replica is no longer the sender',
        );
    } catch (error) {
      this.options.onDatabase?.(false, error);
      if (wasHeld)
        logger.info({ 'event.name': 'alerts.lease', replica: lease.holder, held: false }, 'this replica is no longer the sender');
    }
  }

  /** Records what was posted and removes its rows; throws (keeping them in memory) while the database fails. */
  private async recordPosted(): Promise<void> {
    const { outbox } = this.options;
    for (let posted = this.unrecorded[0]; posted; posted = this.unrecorded[0]) {
      await outbox.recordPosted(posted.alerts, posted.receiver, posted.atMs);
      await outbox.remove(posted.ids);
      this.unrecorded.shift();
    }
  }

  private async pump(): Promise<void> {
    try {
      // Rows posted but not recorded are still claimed in the table: once their claim ran out they would be
      // posted again, so nothing is claimed before they are recorded.
      await this.recordPosted();
      while (this.options.lease.isHeld && !this.stopped) {
        const group = await this.options.outbox.claimGroup(this.now(), MAX_GROUP, this.options.claimMs);
        if (group.length === 0) return;
        await this.deliver(group);
      }
    } catch (error) {
      this.options.onDatabase?.(false, error);
    }
  }

  private fields(entry: OutboxEntry, extra: Record<string, unknown> = {}) {
    const { alert, receiver } = entry;
    return { 'alert.type': alert.type, 'alert.severity': SEVERITY_OF[alert.type], 'service.name': alert.service, receiver, ...extra };
  }

  /** Drops what must not go out (muted, duplicate, an orphaned resolution); returns the rest. */
  private async sendable(group: OutboxEntry[]): Promise<OutboxEntry[]> {
    const { outbox, silencer, logger, cooldownMs } = this.options;
    const now = this.now();
    const kept: OutboxEntry[] = [];
    const drop = async (entry: OutboxEntry) => outbox.remove([entry.id]);
    for (const entry of group) {
      const { alert } = entry;
      const key = postedKey(alert);
      const mutedBy = await silencer.mutedBy(alert, now);
      if (mutedBy) {
        await drop(entry);
        if (alert.type === 'heartbeat_missing') await outbox.removeLater('heartbeat_resumed', alert.service, entry.id);
        logger.info(
          this.fields(entry, {
            'event.name': 'alerts.muted',
            ...(mutedBy.kind === 'silence' ? { silence_id: mutedBy.id, silence_comment: mutedBy.comment } : { mute_window: mutedBy.spec }),
          }),
          `alert muted (not sent) by ${mutedBy.kind === 'silence' ? `silence ${mutedBy.id}` : `mute window "${mutedBy.spec}"`}`,
        );
        continue;
      }
      const resolves = RESOLVES[alert.type];
      if (resolves) {
        // What it resolves may still be waiting in the outbox (Slack failed it, it is posted again later): the
        // resolution goes after it, never before, and is not dropped meanwhile.
        const waiting = await outbox.waitingBefore(resolves, alert.service, entry.receiver, entry.id);
        if (waiting !== undefined) {
          const at = Math.max(now + this.pollMs, Math.min(waiting, now + this.retryDelayMs));
          await outbox.postpone([entry.id], at);
          logger.info(
            this.fields(entry, { 'event.name': 'alerts.resolution_waits', retry_in_ms: at - now }),
            'resolution held back: what it resolves is waiting in the outbox to be posted again',
          );
          continue;
        }
        const [firing, resolved] = await Promise.all([
          outbox.lastPosted(resolves, key, entry.receiver),
          outbox.lastPosted(alert.type, key, entry.receiver),
        ]);
        if (firing === undefined || (resolved !== undefined && resolved >= firing)) {
          await drop(entry);
          logger.info(
            this.fields(entry, { 'event.name': 'alerts.duplicate' }),
            'resolution dropped: what it resolves was not posted, or is resolved already',
          );
          continue;
        }
      } else {
        const last = await outbox.lastPosted(alert.type, key, entry.receiver);
        if (last !== undefined && now - last < cooldownMs && !(await this.endedSince(alert.type, key, entry.receiver, last))) {
          await drop(entry);
          logger.info(
            this.fields(entry, { 'event.name': 'alerts.duplicate' }),
            'alert dropped: posted already within the cooldown (raised by another replica too)',
          );
          continue;
        }
      }
      if (kept.some((other) => postedKey(other.alert) === key)) {
        await drop(entry);
        logger.info(this.fields(entry, { 'event.name': 'alerts.duplicate' }), 'alert dropped: raised by two replicas, posted once');
        continue;
      }
      kept.push(entry);
    }
    return kept;
  }

  /**
   * A problem's recovery (or, for a recovery, a problem) was posted at or after `last`: an alert of this type is
   * the next episode, not a duplicate of the last one.
   */
  private async endedSince(type: AlertType, key: string, receiver: ReceiverName, last: number): Promise<boolean> {
    const others = RECOVERED_BY[type] ? [RECOVERED_BY[type]] : (PROBLEMS_OF.get(type) ?? []);
    for (const other of others) {
      const at = await this.options.outbox.lastPosted(other, key, receiver);
      if (at !== undefined && at >= last) return true;
    }
    return false;
  }

  private async deliver(group: OutboxEntry[]): Promise<void> {
    const { outbox, receivers, logger } = this.options;
    const receiverName = group[0]!.receiver;
    const receiver = receivers[receiverName];
    if (!receiver) {
      // Another replica routed it to a receiver this one has no settings for: left for a replica that has.
      await outbox.postpone(
        group.map((entry) => entry.id),
        this.now() + this.maxRetryDelayMs,
      );
      if (!this.missingReceivers.has(receiverName))
        logger.error(
          { 'event.name': 'alerts.delivery', receiver: receiverName, replica: this.options.lease.holder },
          `alerts for ${receiverName} wait in the shared outbox: this replica, the sender, has no ${receiverName} settings (every replica needs the same)`,
        );
      this.missingReceivers.add(receiverName);
      return;
    }
    const entries = await this.sendable(group);
    if (entries.length === 0) return;
    const alerts = entries.map((entry) => entry.alert);
    const ids = entries.map((entry) => entry.id);
    const fields = {
      ...this.fields(entries[0]!),
      'service.name': alerts.map((alert) => alert.service).join(','),
      ...(alerts.length > 1 ? { 'alert.count': alerts.length } : {}),
    };
    const { delivery, headline } = await receiver.notify(alerts);
    switch (delivery.status) {
      case 'delivered':
        if (!delivery.skipped) logger.info({ ...fields, attempts: delivery.attempts }, `alert sent to ${receiver.label}: ${headline}`);
        // Recorded before the rows go: a crash in between re-posts nothing (the rows are then duplicates).
        this.unrecorded.push({ alerts, receiver: receiverName, ids, atMs: this.now() });
        await this.recordPosted();
        return;
      case 'retry': {
        const attempts = Math.max(...entries.map((entry) => entry.attempts));
        const delay = Math.min(this.retryDelayMs * 2 ** attempts, this.maxRetryDelayMs);
        await outbox.retryAt(ids, this.now() + delay);
        logger.error(
          { ...fields, attempts: delivery.attempts, reason: delivery.reason, retry_in_ms: delay },
          `alert could not be delivered to ${receiver.label} (kept in the outbox, posted again later)`,
        );
        return;
      }
      case 'give_up':
        await outbox.remove(ids);
        logger.error(
          { ...fields, attempts: delivery.attempts, reason: delivery.reason },
          `alert could not be delivered to ${receiver.label} (refused: dropped)`,
        );
        return;
    }
  }
}
