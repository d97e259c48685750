import type { Logger } from '@otel';
import type { AlertsConfig } from '../config';
import type { Receiver } from '../notify/receiver';
import type { ReceiverName } from '../notify/routes';
import type { Silencer } from '../silence/silencer';
import { migrateStore, openStore, type AlertsDb } from '../store/database';
import { Outbox, type OutboxEntry } from '../store/outbox';
import { SilenceStore } from '../store/silence-store';
import { Lease } from './lease';
import { SharedSender } from './shared-sender';

/**
 * Several alert processors on one PostgreSQL database (ALERTS_DATABASE_URL), the same store as a state file
 * (store/): each replica keeps its own state file (its spikes, heartbeats and first outbox), hands its alerts — for
 * every receiver, Slack and email — to the shared outbox, and the replica holding the lease delivers them, each
 * once; silences are shared. The schema is migrated on first contact and retried while the database does not
 * answer, so a replica also starts — and alerts, on its own — without it.
 */
export interface Replicas {
  silences: SilenceStore;
  /** Hands the entries to the shared outbox; returns their rows' ids. Throws when the database does not answer. */
  relay(entries: OutboxEntry[]): Promise<number[]>;
  /** Which of these shared rows are still waiting to be posted. Throws when the database does not answer. */
  stillQueued(ids: number[]): Promise<Set<number>>;
  start(parts: { receivers: Partial<Record<ReceiverName, Receiver>>; silencer: Silencer }): void;
  stop(): Promise<void>;
}

export function createReplicas(config: AlertsConfig & { databaseUrl: string }, logger: Logger): Replicas {
  const store = openStore({ url: config.databaseUrl, queryTimeoutMs: config.databaseTimeoutMs });
  const { db } = store;
  const outbox = new Outbox(db, config.replicaId);
  const silences = new SilenceStore(db);
  let migrated: Promise<void> | undefined;
  const ready = () =>
    (migrated ??= migrateStore(store).catch((error: unknown) => {
      migrated = undefined;
      throw error;
    }));
  let sender: SharedSender | undefined;
  let reachable: boolean | undefined;

  const onDatabase = (ok: boolean, error?: unknown) => {
    if (ok === reachable) return;
    reachable = ok;
    if (ok) logger.info({ 'event.name': 'alerts.database', replica: config.replicaId }, 'the alerts database answers');
    else
      logger.error(
        { 'event.name': 'alerts.database', replica: config.replicaId, err: error },
        'the alerts database does not answer (this replica cannot be the sender meanwhile)',
      );
  };

  return {
    silences,
    async relay(entries) {
      await ready();
      return outbox.enqueue(entries, Date.now());
    },
    async stillQueued(ids) {
      await ready();
      return outbox.stillQueued(ids);
    },
    start({ receivers, silencer }) {
      // Longer than one post with every retry: a row claimed by a sender that died is posted again only after it.
      // (An email is one attempt of at most three SMTP timeouts: connection, greeting, socket.)
      const claimMs =
        Math.max(config.slackTimeoutMs * config.slackMaxAttempts + config.slackMaxRetryAfterMs, (config.email?.timeoutMs ?? 0) * 3) +
        20_000;
      sender = new SharedSender({
        outbox: {
          // The schema first, on every round until it exists.
          claimGroup: async (now, max, claim) => (await ready(), outbox.claimGroup(now, max, claim)),
          remove: (ids) => outbox.remove(ids),
          retryAt: (ids, at) => outbox.retryAt(ids, at),
          postpone: (ids, at) => outbox.postpone(ids, at),
          waitingBefore: (type, service, receiver, id) => outbox.waitingBefore(type, service, receiver, id),
          removeLater: (type, service, id) => outbox.removeLater(type, service, id),
          lastPosted: (type, service, receiver) => outbox.lastPosted(type, service, receiver),
          recordPosted: (alerts, receiver, now) => outbox.recordPosted(alerts, receiver, now),
        },
        lease: new LeaseAfterSchema(db, config.replicaId, config.leaseMs, ready),
        receivers,
        silencer,
        logger,
        cooldownMs: config.cooldownMs,
        claimMs,
        onDatabase,
      });
      sender.start();
    },
    async stop() {
      await sender?.stop();
      await store.close();
    },
  };
}

/** The lease, taken only once the tables exist. */
class LeaseAfterSchema extends Lease {
  constructor(
    db: AlertsDb,
    holder: string,
    lengthMs: number,
    private readonly ready: () => Promise<void>,
  ) {
    super(db, holder, lengthMs);
  }

  override async acquire(now: number): Promise<boolean> {
    await this.ready();
    return super.acquire(now);
  }
}
