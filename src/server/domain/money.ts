import type { Tx } from '../db/transaction';
import { conflict } from './errors';

/**
 * Moves cents between two users inside the caller's transaction. Rows are updated in id order so two
 * opposite transfers cannot deadlock on PostgreSQL; the debit is conditional, so a balance never goes
 * below zero even before the CHECK constraint would catch it.
 */
export async function moveMoney(tx: Tx, fromUserId: string, toUserId: string, amountCents: number): Promise<void> {
  const debit = async () => {
    const result = await tx
      .updateTable('users')
      .set((eb) => ({ balance_cents: eb('balance_cents', '-', amountCents) }))
      .where('id', '=', fromUserId)
      .where('balance_cents', '>=', amountCents)
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) throw conflict('insufficient_funds', 'Your balance is too low for this payment');
  };
  const credit = async () => {
    await tx
      .updateTable('users')
      .set((eb) => ({ balance_cents: eb('balance_cents', '+', amountCents) }))
      .where('id', '=', toUserId)
      .execute();
  };
  if (fromUserId < toUserId) {
    await debit();
    await credit();
  } else {
    await credit();
    await debit();
  }
}

export async function getBalance(tx: Pick<Tx, 'selectFrom'>, userId: string): Promise<number> {
  const row = await tx.selectFrom('users').select('balance_cents').where('id', '=', userId).executeTakeFirstOrThrow();
  return row.balance_cents;
}
