import type { Kysely, Migration } from 'kysely';

/**
 * Why a transfer did not go through, for its sender (`insufficient_funds` when a confirm was refused for too little
 * money); null for every transfer that was not refused. A plain nullable column: the same on SQLite and PostgreSQL.
 */
export const transferFailureReason: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('transfers').addColumn('failure_reason', 'text').execute();
  },
};
