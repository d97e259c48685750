import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../connect';

const STATUSES = sql`status in ('pending', 'completed', 'cancelled')`;

/**
 * A pending transfer its sender gives up on becomes `cancelled` (POST /api/transfers/{id}/cancel). Only the
 * status CHECK changes. PostgreSQL swaps the constraint; SQLite cannot alter a CHECK, so the table is rebuilt
 * as its documentation prescribes (new table, copy, drop, rename, with foreign keys off so that
 * payment_requests.transfer_id keeps pointing at `transfers`). Kysely runs SQLite migrations outside a
 * transaction, which is what lets the pragma take effect; the rebuild has its own.
 */
export const transferCancelled = (dialect: Dialect): Migration => ({
  async up(db: Kysely<unknown>) {
    if (dialect === 'postgres') {
      await sql`alter table transfers drop constraint transfers_status_check`.execute(db);
      await sql`alter table transfers add constraint transfers_status_check check (${STATUSES})`.execute(db);
      return;
    }
    await sql`pragma foreign_keys = off`.execute(db);
    try {
      await sql`begin immediate`.execute(db);
      try {
        await db.schema
          .createTable('transfers_new')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('transfer', 'qr_payment')`))
          .addColumn('from_user_id', 'text', (c) => c.notNull().references('users.id'))
          .addColumn('to_user_id', 'text', (c) => c.notNull().references('users.id'))
          .addColumn('amount_cents', 'bigint', (c) => c.notNull().check(sql`amount_cents > 0`))
          .addColumn('note', 'text')
          .addColumn('status', 'text', (c) => c.notNull().check(STATUSES))
          .addColumn('idempotency_key', 'text')
          .addColumn('request_hash', 'text')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('completed_at', 'bigint')
          .addCheckConstraint('transfers_distinct_parties', sql`from_user_id <> to_user_id`)
          .execute();
        await sql`insert into transfers_new select id, kind, from_user_id, to_user_id, amount_cents, note, status,
          idempotency_key, request_hash, created_at, completed_at from transfers`.execute(db);
        await sql`drop table transfers`.execute(db);
        await sql`alter table transfers_new rename to transfers`.execute(db);
        await db.schema
          .createIndex('transfers_idempotency')
          .on('transfers')
          .columns(['from_user_id', 'idempotency_key'])
          .unique()
          .execute();
        await db.schema.createIndex('transfers_from_created').on('transfers').columns(['from_user_id', 'created_at']).execute();
        await db.schema.createIndex('transfers_to_created').on('transfers').columns(['to_user_id', 'created_at']).execute();
        const broken = await sql`pragma foreign_key_check`.execute(db);
        if (broken.rows.length > 0) throw new Error(`foreign keys broken by the transfers rebuild: ${JSON.stringify(broken.rows)}`);
        await sql`commit`.execute(db);
      } catch (error) {
        await sql`rollback`.execute(db);
        throw error;
      }
    } finally {
      await sql`pragma foreign_keys = on`.execute(db);
    }
  },
});
