import type { Selectable } from 'kysely';
import type { ReceiverName } from '../notify/routes';
import type { SlackMessage } from '../notify/slack-message';
import { subjectOf, type Alert } from '../rules/rules';
import type { AlertsDb, AlertTables } from './database';

/**
 * The persisted outbox, one implementation on the state file (SQLite) and on the database replicas share
 * (PostgreSQL). Every alert the rules hand out is written here before anything is posted, and leaves only once
 * its receiver has taken it (or answered that it never will: give_up). A restart, a receiver's outage or a crash
 * therefore loses no message. Delivery is at least once: neither Slack's incoming webhooks nor SMTP take an
 * idempotency key, so a post whose answer is lost (a timeout after the receiver took it, a crash between its
 * answer and the row's deletion) is posted again (docs/MONITORING.md, "Delivery to Slack", lists the windows).
 *
 * Grouping (ALERT_GROUP_SECONDS): an alert of a type no entry of which is waiting for its group to close is due
 * `groupMs` after it arrives; alerts of the same type arriving meanwhile join it (same due time). A sender takes
 * every due entry of the oldest entry's type and receiver at once and posts them as one message. The group is rows
 * like any entry, so it survives a restart and goes on filling after it.
 *
 * Receivers (ALERT_ROUTES): an alert routed to Slack and email is one entry per receiver, each delivered, retried
 * and grouped on its own, so an email outage never holds Slack back.
 *
 * Replicas (ALERTS_DATABASE_URL): each replica's state file keeps the first write; the entry is handed to the
 * shared outbox and stays here, marked relayed with the id of its shared row, until that row is gone (posted,
 * muted or dropped by the sender); the alerter takes it up again and posts it itself when the database stops
 * answering (notify/alerter.ts). A relayed entry is never due here. In the shared outbox, the replica holding the
 * lease claims the rows it is about to post (their due time moves `claimMs` ahead, only if nobody moved it first),
 * so two replicas that both believe they hold the lease — for a moment at a handover — never post the same row;
 * `alert_posted` remembers when each type was last posted per service and receiver, by anyone.
 */

export interface OutboxEntry {
  id: number;
  alert: Alert;
  message: SlackMessage;
  attempts: number;
  enqueuedAtMs: number;
  receiver: ReceiverName;
}

export type NewEntry = Pick<OutboxEntry, 'alert' | 'message' | 'receiver'>;

export interface RelayedEntry {
  id: number;
  sharedId: number;
  relayedAtMs: number;
}

type Row = Selectable<AlertTables['alert_outbox']>;

const toEntry = (row: Row): OutboxEntry => ({
  id: row.id,
  alert: JSON.parse(row.alert) as Alert,
  message: JSON.parse(row.message) as SlackMessage,
  attempts: row.attempts,
  enqueuedAtMs: row.enqueued_at_ms,
  receiver: row.receiver === 'email' ? 'email' : 'slack',
});

/**
 * What `alert_posted` tells alerts apart by (in its `service` column): the service, and the subject for the alerts
 * that have one (rules.ts subjectOf) — a second exporter failing is not a duplicate of the first.
 */
export function postedKey(alert: Alert): string {
  const subject = subjectOf(alert);
  return subject === undefined ? alert.service : `${alert.service}\n${subject}`;
}

export class Outbox {
  constructor(
    private readonly db: AlertsDb,
    /** Who writes here: the replica's id in the shared outbox, '' in a state file. */
    private readonly origin = '',
  ) {}

  /**
   * Writes the entries (in one transaction, returning their ids in order); with `groupMs` > 0 each is due when its
   * type's open group for its receiver closes, or opens one.
   */
  async enqueue(entries: readonly NewEntry[], now: number, groupMs = 0): Promise<number[]> {
    if (entries.length === 0) return [];
    return this.db.transaction().execute(async (trx) => {
      const ids: number[] = [];
      for (const { alert, message, receiver } of entries) {
        let dueAt = now;
        if (groupMs > 0) {
          const open = await trx
            .selectFrom('alert_outbox')
            .select('next_attempt_ms')
            .where('alert_type', '=', alert.type)
            .where('receiver', '=', receiver)
            .where('attempts', '=', 0)
            .where('next_attempt_ms', '>', now)
            .where('relayed_at_ms', 'is', null)
            .orderBy('id')
            .limit(1)
            .executeTakeFirst();
          dueAt = open?.next_attempt_ms ?? now + groupMs;
        }
        const row = await trx
          .insertInto('alert_outbox')
          .values({
            alert_type: alert.type,
            service: alert.service,
            receiver,
            alert: JSON.stringify(alert),
            message: JSON.stringify(message),
            origin: this.origin,
            enqueued_at_ms: now,
            next_attempt_ms: dueAt,
            relayed_at_ms: null,
            shared_id: null,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        ids.push(row.id);
      }
      return ids;
    });
  }

  private due(now: number) {
    return this.db
      .selectFrom('alert_outbox')
      .selectAll()
      .where('next_attempt_ms', '<=', now)
      .where('relayed_at_ms', 'is', null)
      .orderBy('id');
  }

  /** The oldest due entry, for (another) attempt. */
  async nextDue(now: number): Promise<OutboxEntry | undefined> {
    const row = await this.due(now).limit(1).executeTakeFirst();
    return row && toEntry(row);
  }

  /** The oldest due entry and the other due entries of its type and receiver (at most `max` in all, oldest first). */
  async nextGroup(now: number, max: number): Promise<OutboxEntry[]> {
    const first = await this.due(now).limit(1).executeTakeFirst();
    if (!first) return [];
    const rows = await this.due(now).where('alert_type', '=', first.alert_type).where('receiver', '=', first.receiver).limit(max).execute();
    return rows.map(toEntry);
  }

  /**
   * Claims the oldest due entry and the other due entries of its type and receiver (at most `max`): their due time
   * moves `claimMs` ahead, and only the rows this call moved are returned — another sender that picked the same
   * rows gets none of them (the update re-checks each row's due time under its lock).
   */
  async claimGroup(now: number, max: number, claimMs: number): Promise<OutboxEntry[]> {
    const first = await this.due(now).select(['alert_type', 'receiver']).limit(1).executeTakeFirst();
    if (!first) return [];
    const picked = this.db
      .selectFrom('alert_outbox')
      .select('id')
      .where('alert_type', '=', first.alert_type)
      .where('receiver', '=', first.receiver)
      .where('next_attempt_ms', '<=', now)
      .where('relayed_at_ms', 'is', null)
      .orderBy('id')
      .limit(max);
    const rows = await this.db
      .updateTable('alert_outbox')
      .set({ next_attempt_ms: now + claimMs })
      .where('id', 'in', picked)
      .where('next_attempt_ms', '<=', now)
      .returningAll()
      .execute();
    return rows.map(toEntry).sort((a, b) => a.id - b.id);
  }

  /** When the earliest entry is due, epoch ms; undefined when none waits. */
  async nextAttemptAt(): Promise<number | undefined> {
    const row = await this.db
      .selectFrom('alert_outbox')
      .select((eb) => eb.fn.min<number | null>('next_attempt_ms').as('at'))
      .where('relayed_at_ms', 'is', null)
      .executeTakeFirst();
    return row?.at ?? undefined;
  }

  async entries(): Promise<OutboxEntry[]> {
    return (await this.db.selectFrom('alert_outbox').selectAll().orderBy('id').execute()).map(toEntry);
  }

  /** Entries waiting here (relayed ones, which the shared outbox holds, not counted). */
  async size(): Promise<number> {
    const row = await this.db
      .selectFrom('alert_outbox')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('relayed_at_ms', 'is', null)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async remove(ids: readonly number[]): Promise<void> {
    if (ids.length > 0) await this.db.deleteFrom('alert_outbox').where('id', 'in', ids).execute();
  }

  /** A failed attempt: counted, and the entries due again at `atMs`. */
  async retryAt(ids: readonly number[], atMs: number): Promise<void> {
    if (ids.length === 0) return;
    await this.db
      .updateTable('alert_outbox')
      .set((eb) => ({ attempts: eb('attempts', '+', 1), next_attempt_ms: atMs }))
      .where('id', 'in', ids)
      .execute();
  }

  /** Moves entries' next attempt without counting an attempt (a resolution waiting for what it resolves). */
  async postpone(ids: readonly number[], atMs: number): Promise<void> {
    if (ids.length > 0) await this.db.updateTable('alert_outbox').set({ next_attempt_ms: atMs }).where('id', 'in', ids).execute();
  }

  /** Deletes the entries of this type and service written after entry `id` (the resolution of a muted alert). */
  async removeLater(type: string, service: string, id: number): Promise<number> {
    const result = await this.db
      .deleteFrom('alert_outbox')
      .where('alert_type', '=', type)
      .where('service', '=', service)
      .where('id', '>', id)
      .where('relayed_at_ms', 'is', null)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** When the earliest entry of this type, service and receiver written before entry `id` is due; undefined when none waits. */
  async waitingBefore(type: string, service: string, receiver: ReceiverName, id: number): Promise<number | undefined> {
    const row = await this.db
      .selectFrom('alert_outbox')
      .select((eb) => eb.fn.min<number | null>('next_attempt_ms').as('at'))
      .where('alert_type', '=', type)
      .where('service', '=', service)
      .where('receiver', '=', receiver)
      .where('id', '<', id)
      .executeTakeFirst();
    return row?.at ?? undefined;
  }

  /** The entries were handed to the shared outbox as rows `sharedIds`: kept, never due, until those rows are gone. */
  async markRelayed(ids: readonly number[], sharedIds: readonly number[], now: number): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      for (const [i, id] of ids.entries())
        await trx.updateTable('alert_outbox').set({ relayed_at_ms: now, shared_id: sharedIds[i]! }).where('id', '=', id).execute();
    });
  }

  async relayed(): Promise<RelayedEntry[]> {
    const rows = await this.db
      .selectFrom('alert_outbox')
      .select(['id', 'shared_id', 'relayed_at_ms'])
      .where('relayed_at_ms', 'is not', null)
      .orderBy('id')
      .execute();
    return rows.map((row) => ({ id: row.id, sharedId: row.shared_id!, relayedAtMs: row.relayed_at_ms! }));
  }

  /** Relayed entries the shared outbox may never post (the database does not answer): due here again at `now`. */
  async takeBack(ids: readonly number[], now: number): Promise<void> {
    if (ids.length === 0) return;
    await this.db
      .updateTable('alert_outbox')
      .set({ relayed_at_ms: null, shared_id: null, next_attempt_ms: now })
      .where('id', 'in', ids)
      .execute();
  }

  /** Which of these entries are still here (not yet posted, muted or dropped). */
  async stillQueued(ids: readonly number[]): Promise<Set<number>> {
    if (ids.length === 0) return new Set();
    const rows = await this.db.selectFrom('alert_outbox').select('id').where('id', 'in', ids).execute();
    return new Set(rows.map((row) => row.id));
  }

  /** When an alert of this type was last posted for the key (postedKey: the service, its subject) to this receiver, by anyone. */
  async lastPosted(type: string, key: string, receiver: ReceiverName): Promise<number | undefined> {
    const row = await this.db
      .selectFrom('alert_posted')
      .select('posted_at_ms')
      .where('alert_type', '=', type)
      .where('service', '=', key)
      .where('receiver', '=', receiver)
      .executeTakeFirst();
    return row?.posted_at_ms;
  }

  async recordPosted(alerts: readonly Alert[], receiver: ReceiverName, now: number): Promise<void> {
    // One row per type and key: an upsert may not touch a row twice.
    const keys = new Map(alerts.map((alert) => [`${alert.type}\n${postedKey(alert)}`, alert]));
    if (keys.size === 0) return;
    await this.db
      .insertInto('alert_posted')
      .values([...keys.values()].map((alert) => ({ alert_type: alert.type, service: postedKey(alert), receiver, posted_at_ms: now })))
      .onConflict((oc) =>
        oc.columns(['alert_type', 'service', 'receiver']).doUpdateSet((eb) => ({ posted_at_ms: eb.ref('excluded.posted_at_ms') })),
      )
      .execute();
  }
}
