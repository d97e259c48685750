import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { inTransaction, type Tx } from '../db/transaction';
import { recordAudit, type AuditFact } from './audit';
import type { RequestContext } from './context';
import { DomainError } from './errors';

/** What to record when a domain rule refuses the attempt: the entry (its `reason` is the error's code) and an optional write. */
export interface Refusal {
  fact: Omit<AuditFact, 'outcome'>;
  /** A domain write that belongs with the refusal (a transfer remembering why it was refused), in the same transaction. */
  write?: (tx: Tx) => Promise<void>;
}

/**
 * Runs a domain action in its transaction. When a rule refuses it (a DomainError: too little money, an expired or
 * already paid request, a duplicate submission…) the action's transaction has rolled back, so the refusal is
 * recorded in a transaction of its own — an entry with outcome `failure` and `details.reason` = the error's code,
 * chained like every other — and the error goes on to the caller. Other errors (the database down) are not
 * refusals: there is nothing to record them in.
 */
export async function withRefusalRecorded<T>(
  db: Kysely<Database>,
  ctx: RequestContext,
  action: (tx: Tx) => Promise<T>,
  refusal: (error: DomainError) => Refusal | Promise<Refusal>,
): Promise<T> {
  try {
    return await inTransaction(db, action);
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    const { fact, write } = await refusal(error);
    await inTransaction(db, async (tx) => {
      await write?.(tx);
      await recordAudit(tx, ctx, { ...fact, outcome: 'failure', details: { ...fact.details, reason: error.code } });
    });
    throw error;
  }
}
