import type { Kysely, Transaction } from 'kysely';
import { getLogger } from '@otel';
import { isDatabaseUnavailable } from './errors';
import { noteDatabaseUnavailable } from './outage';
import type { Database } from './schema';

export type Tx = Transaction<Database>;
/** A connection or a transaction: read-only helpers accept either. */
export type Executor = Kysely<Database>;

type Callback = () => void | Promise<void>;
const afterCommitCallbacks = new WeakMap<Tx, Callback[]>();
const databases = new WeakMap<Tx, Kysely<Database>>();

/**
 * Runs `work` in a transaction. Callbacks registered with `afterCommit` run once it has committed, in order;
 * when it rolls back they are dropped.
 */
export async function inTransaction<T>(db: Kysely<Database>, work: (tx: Tx) => Promise<T>): Promise<T> {
  const callbacks: Callback[] = [];
  const result = await db.transaction().execute((tx) => {
    afterCommitCallbacks.set(tx, callbacks);
    databases.set(tx, db);
    return work(tx);
  });
  for (const callback of callbacks) {
    try {
      // Awaited (the audit sequencer seals the entry before the request answers); most callbacks are synchronous.
      await callback();
    } catch (error) {
      // The transaction has committed: a failing side effect (a seal of audit entries: they stay queued for the
      // sweep) must not turn it into an error response.
      if (isDatabaseUnavailable(error)) noteDatabaseUnavailable(error);
      else getLogger().error({ err: error, 'event.name': 'db.after_commit_failed' }, 'after-commit callback failed');
    }
  }
  return result;
}

/**
 * Defers a side effect (a span event, a notification, sealing audit entries) until the transaction `tx` has
 * committed; an async callback is awaited before inTransaction returns.
 */
export function afterCommit(tx: Tx, callback: Callback): void {
  const callbacks = afterCommitCallbacks.get(tx);
  if (!callbacks) throw new Error('afterCommit() needs a transaction opened by inTransaction()');
  callbacks.push(callback);
}

/** The database a transaction opened by inTransaction() runs on (for work that needs transactions of its own). */
export function databaseOf(tx: Tx): Kysely<Database> {
  const db = databases.get(tx);
  if (!db) throw new Error('databaseOf() needs a transaction opened by inTransaction()');
  return db;
}
