import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema';

export type Tx = Transaction<Database>;
/** A connection or a transaction: read-only helpers accept either. */
export type Executor = Kysely<Database>;

export function inTransaction<T>(db: Kysely<Database>, work: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction().execute(work);
}
