import { diag } from '@opentelemetry/api';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema';

export type Tx = Transaction<Database>;
/** A connection or a transaction: read-only helpers accept either. */
export type Executor = Kysely<Database>;

const afterCommitCallbacks = new WeakMap<Tx, (() => void)[]>();

/**
 * Runs `work` in a transaction. Callbacks registered with `afterCommit` run once it has committed, in order;
 * when it rolls back they are dropped.
 */
export async function inTransaction<T>(db: Kysely<Database>, work: (tx: Tx) => Promise<T>): Promise<T> {
  const callbacks: (() => void)[] = [];
  const result = await db.transaction().execute((tx) => {
    afterCommitCallbacks.set(tx, callbacks);
    return work(tx);
  });
  for (const callback of callbacks) {
    try {
      callback();
    } catch (error) {
      // The transaction has committed: a failing side effect must not turn it into an error response.
      diag.error('after-commit callback failed', error);
    }
  }
  return result;
}

/** Defers a side effect (a span event, a notification) until the transaction `tx` has committed. */
export function afterCommit(tx: Tx, callback: () => void): void {
  const callbacks = afterCommitCallbacks.get(tx);
  if (!callbacks) throw new Error('afterCommit() needs a transaction opened by inTransaction()');
  callbacks.push(callback);
}
