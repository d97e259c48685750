import { sql, type Kysely, type Migration } from 'kysely';

export const initial: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('users')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('email', 'text', (c) => c.notNull().unique())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('password_hash', 'text', (c) => c.notNull())
      .addColumn('role', 'text', (c) =>
        c
          .notNull()
          .defaultTo('user')
          .check(sql`role in ('user', 'admin')`),
      )
      .addColumn('balance_cents', 'bigint', (c) =>
        c
          .notNull()
          .defaultTo(0)
          .check(sql`balance_cents >= 0`),
      )
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('sessions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('revoked_at', 'bigint')
      .addColumn('ip', 'text')
      .addColumn('user_agent', 'text')
      .execute();
    await db.schema.createIndex('sessions_user_id').on('sessions').column('user_id').execute();

    await db.schema
      .createTable('transfers')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('transfer', 'qr_payment')`))
      .addColumn('from_user_id', 'text', (c) => c.notNull().references('users.id'))
      .addColumn('to_user_id', 'text', (c) => c.notNull().references('users.id'))
      .addColumn('amount_cents', 'bigint', (c) => c.notNull().check(sql`amount_cents > 0`))
      .addColumn('note', 'text')
      .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('pending', 'completed')`))
      .addColumn('idempotency_key', 'text')
      .addColumn('request_hash', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('completed_at', 'bigint')
      .addCheckConstraint('transfers_distinct_parties', sql`from_user_id <> to_user_id`)
      .execute();
    await db.schema.createIndex('transfers_idempotency').on('transfers').columns(['from_user_id', 'idempotency_key']).unique().execute();
    await db.schema.createIndex('transfers_from_created').on('transfers').columns(['from_user_id', 'created_at']).execute();
    await db.schema.createIndex('transfers_to_created').on('transfers').columns(['to_user_id', 'created_at']).execute();

    await db.schema
      .createTable('payment_requests')
      .addColumn('code', 'text', (c) => c.primaryKey())
      .addColumn('payee_user_id', 'text', (c) => c.notNull().references('users.id'))
      .addColumn('amount_cents', 'bigint', (c) => c.notNull().check(sql`amount_cents > 0`))
      .addColumn('description', 'text')
      .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('open', 'paid')`))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('paid_at', 'bigint')
      .addColumn('paid_by_user_id', 'text', (c) => c.references('users.id'))
      .addColumn('transfer_id', 'text', (c) => c.references('transfers.id'))
      .execute();

    await db.schema
      .createTable('kyc_submissions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
      .addColumn('full_name', 'text', (c) => c.notNull())
      .addColumn('date_of_birth', 'text', (c) => c.notNull())
      .addColumn('document_type', 'text', (c) => c.notNull().check(sql`document_type in ('passport', 'id_card', 'driving_licence')`))
      .addColumn('document_number_hash', 'text', (c) => c.notNull())
      .addColumn('document_last4', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('submitted')`))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('kyc_submissions_user').on('kyc_submissions').column('user_id').execute();
  },
};
