import type { Logger } from '@otel';
import type { AlertsConfig } from '../config';
import type { AlertLinks } from '../notify/slack-message';
import type { OutboxEntry } from '../store/outbox';
import type { Silencer } from '../silence/silencer';
import type { SlackClient } from '../notify/slack';
import { migrateShared, openSharedDb, type SharedDb } from '../store/shared-database';
import { Lease } from './lease';
import { PgSilenceStore } from '../store/pg-silence-store';
import { SharedOutbox } from '../store/shared-outbox';
import { SharedSender } from './shared-sender';

/**
 * Several alert processors on one PostgreSQL database (ALERTS_DATABASE_URL): each replica keeps its own state
 * file (its spikes, heartbeats and first outbox), hands its alerts to the shared outbox, and the replica holding
 * the lease posts them; silences are shared. The schema is created on first contact and retried while the
 * database does not answer, so a replica also starts — and alerts, on its own — without it.
 */
export interface Replicas {
  silences: PgSilenceStore;
  /** Hands the entries to the shared outbox; returns their rows' ids. Throws when the database does not answer. */
  relay(entries: OutboxEntry[]): Promise<number[]>;
  /** Which of these shared rows are still waiting to be posted. Throws when the database does not answer. */
  stillQueued(ids: number[]): Promise<Set<number>>;
  start(parts: { slack: SlackClient; silencer: Silencer; links: AlertLinks }): void;
  stop(): Promise<void>;
}

export function createReplicas(config: AlertsConfig & { databaseUrl: string }, logger: Logger): Replicas {
  const db: SharedDb = openSharedDb(config.databaseUrl, { queryTimeoutMs: config.databaseTimeoutMs });
  const outbox = new SharedOutbox(db, config.replicaId);
  const silences = new PgSilenceStore(db);
  let migrated: Promise<void> | undefined;
  const ready = () =>
    (migrated ??= migrateShared(db).catch((error: unknown) => {
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
    start({ slack, silencer, links }) {
      // Longer than one post with every retry: a row claimed by a sender that died is posted again only after it.
      const claimMs = config.slackTimeoutMs * config.slackMaxAttempts + config.slackMaxRetryAfterMs + 20_000;
      sender = new SharedSender({
        outbox: {
          // The schema first, on every round until it exists.
          claimGroup: async (now, max, claim) => (await ready(), outbox.claimGroup(now, max, claim)),
          remove: (ids) => outbox.remove(ids),
          retryAt: (ids, at) => outbox.retryAt(ids, at),
          postpone: (ids, at) => outbox.postpone(ids, at),
          waitingBefore: (type, service, id) => outbox.waitingBefore(type, service, id),
          removeLater: (type, service, id) => outbox.removeLater(type, service, id),
          lastPosted: (type, service) => outbox.lastPosted(type, service),
          recordPosted: (alerts, now) => outbox.recordPosted(alerts, now),
        },
        lease: new LeaseAfterSchema(db, config.replicaId, config.leaseMs, ready),
        slack,
        silencer,
        links,
        logger,
        cooldownMs: config.cooldownMs,
        claimMs,
        onDatabase,
      });
      sender.start();
    },
    async stop() {
      await sender?.stop();
      await db.destroy();
    },
  };
}

/** The lease, taken only once the tables exist. */
class LeaseAfterSchema extends Lease {
  constructor(
    db: SharedDb,
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
