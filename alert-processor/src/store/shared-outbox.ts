import { sql } from 'kysely';
import type { SlackMessage } from '../notify/slack-message';
import type { OutboxEntry } from './outbox';
import type { Alert } from '../rules/rules';
import type { SharedDb } from './shared-database';

/**
 * The outbox replicas share (PostgreSQL): every replica hands its alerts here (from its own outbox in the state
 * file, which stays the first write), and the replica holding the lease posts them. A sender claims the rows it
 * is about to post (their due time moves `claimMs` ahead, atomically), so two replicas that both believe they
 * hold the lease — for a moment at a handover — still never post the same row. `alert_posted` remembers when each
 * type was last posted per service: cooldowns across replicas, and the pairing of resolutions with what they resolve.
 */

interface Row {
  id: number;
  alert_type: string;
  service: string;
  alert: string;
  message: string;
  attempts: number;
  enqueued_at_ms: number;
}

const toEntry = (row: Row): OutboxEntry => ({
  id: row.id,
  alert: JSON.parse(row.alert) as Alert,
  message: JSON.parse(row.message) as SlackMessage,
  attempts: row.attempts,
  enqueuedAtMs: row.enqueued_at_ms,
  // The shared outbox carries Slack's entries only; email is sent by each replica (notify/alerter.ts).
  receiver: 'slack',
});

export class SharedOutbox {
  constructor(
    private readonly db: SharedDb,
    private readonly origin: string,
  ) {}

  /** Inserts the rows; returns their ids, in the order given. */
  async enqueue(entries: readonly Pick<OutboxEntry, 'alert' | 'message'>[], now: number): Promise<number[]> {
    if (entries.length === 0) return [];
    const rows = await this.db
      .insertInto('alert_outbox')
      .values(
        entries.map(({ alert, message }) => ({
          alert_type: alert.type,
          service: alert.service,
          alert: JSON.stringify(alert),
          message: JSON.stringify(message),
          origin: this.origin,
          enqueued_at_ms: now,
          next_attempt_ms: now,
        })),
      )
      .returning('id')
      .execute();
    return rows.map((row) => row.id);
  }

  /** Which of these rows are still in the outbox (not yet posted, muted or dropped). */
  async stillQueued(ids: readonly number[]): Promise<Set<number>> {
    if (ids.length === 0) return new Set();
    const rows = await this.db.selectFrom('alert_outbox').select('id').where('id', 'in', ids).execute();
    return new Set(rows.map((row) => row.id));
  }

  /** Claims the oldest due row and the other due rows of its type (at most `max`), oldest first. */
  async claimGroup(now: number, max: number, claimMs: number): Promise<OutboxEntry[]> {
    const result = await sql<Row>`
      WITH first AS (
        SELECT alert_type FROM alert_outbox WHERE next_attempt_ms <= ${now} ORDER BY id LIMIT 1
      ), picked AS (
        SELECT id FROM alert_outbox
        WHERE alert_type = (SELECT alert_type FROM first) AND next_attempt_ms <= ${now}
        ORDER BY id LIMIT ${max} FOR UPDATE SKIP LOCKED
      )
      UPDATE alert_outbox SET next_attempt_ms = ${now + claimMs} FROM picked WHERE alert_outbox.id = picked.id
      RETURNING alert_outbox.id, alert_outbox.alert_type, alert_outbox.service, alert_outbox.alert, alert_outbox.message,
                alert_outbox.attempts, alert_outbox.enqueued_at_ms`.execute(this.db);
    return result.rows.map(toEntry).sort((a, b) => a.id - b.id);
  }

  async remove(ids: readonly number[]): Promise<void> {
    if (ids.length > 0) await this.db.deleteFrom('alert_outbox').where('id', 'in', ids).execute();
  }

  async retryAt(ids: readonly number[], atMs: number): Promise<void> {
    if (ids.length === 0) return;
    await this.db
      .updateTable('alert_outbox')
      .set((eb) => ({ attempts: eb('attempts', '+', 1), next_attempt_ms: atMs }))
      .where('id', 'in', ids)
      .execute();
  }

  /** Deletes rows of this type and service written after row `id` (the resolution of a muted alert). */
  async removeLater(type: string, service: string, id: number): Promise<void> {
    await this.db.deleteFrom('alert_outbox').where('alert_type', '=', type).where('service', '=', service).where('id', '>', id).execute();
  }

  /** Moves rows' next attempt without counting an attempt (a resolution waiting for what it resolves). */
  async postpone(ids: readonly number[], atMs: number): Promise<void> {
    if (ids.length > 0) await this.db.updateTable('alert_outbox').set({ next_attempt_ms: atMs }).where('id', 'in', ids).execute();
  }

  /** When the earliest row of this type and service written before row `id` is due next; undefined when none waits. */
  async waitingBefore(type: string, service: string, id: number): Promise<number | undefined> {
    const row = await this.db
      .selectFrom('alert_outbox')
      .select((eb) => eb.fn.min<number>('next_attempt_ms').as('at'))
      .where('alert_type', '=', type)
      .where('service', '=', service)
      .where('id', '<', id)
      .executeTakeFirst();
    return row?.at ?? undefined;
  }

  /** When an alert of this type was last posted for the service, by any replica. */
  async lastPosted(type: string, service: string): Promise<number | undefined> {
    const row = await this.db
      .selectFrom('alert_posted')
      .select('posted_at_ms')
      .where('alert_type', '=', type)
      .where('service', '=', service)
      .executeTakeFirst();
    return row?.posted_at_ms;
  }

  async recordPosted(alerts: readonly Alert[], now: number): Promise<void> {
    if (alerts.length === 0) return;
    await this.db
      .insertInto('alert_posted')
      .values(alerts.map((alert) => ({ alert_type: alert.type, service: alert.service, posted_at_ms: now })))
      .onConflict((oc) => oc.columns(['alert_type', 'service']).doUpdateSet((eb) => ({ posted_at_ms: eb.ref('excluded.posted_at_ms') })))
      .execute();
  }
}
