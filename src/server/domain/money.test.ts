import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../test/helpers/databases';
import { actorFor, balanceOf, makeUser, rendezvous, useDatabase } from '../../../test/helpers/domain-fixture';
import { inTransaction } from '../db/transaction';
import { DomainError } from './errors';
import { getBalance, moveMoney } from './money';
import { confirmTransfer, createTransfer } from './transfers';

describe.each(DIALECTS)('money on %s', (dialect) => {
  const handle = useDatabase(dialect);

  it('moves cents from one balance to the other', async () => {
    const from = await makeUser(handle(), { balanceCents: 10_000 });
    const to = await makeUser(handle(), { balanceCents: 500 });
    await inTransaction(handle().db, (tx) => moveMoney(tx, from.id, to.id, 2_550));
    expect(await balanceOf(handle(), from.id)).toBe(7_450);
    expect(await balanceOf(handle(), to.id)).toBe(3_050);
    expect(await getBalance(handle().db, to.id)).toBe(3_050);
  });

  it('may empty a balance to exactly zero', async () => {
    const from = await makeUser(handle(), { balanceCents: 1_000 });
    const to = await makeUser(handle());
    await inTransaction(handle().db, (tx) => moveMoney(tx, from.id, to.id, 1_000));
    expect(await balanceOf(handle(), from.id)).toBe(0);
    expect(await balanceOf(handle(), to.id)).toBe(1_000);
  });

  // Both id orders: moveMoney credits first when the payer's id sorts after the payee's.
  it.each(['payer id sorts first', 'payee id sorts first'])('refuses an overdraft and changes neither balance (%s)', async (order) => {
    const a = await makeUser(handle(), { balanceCents: 999 });
    const b = await makeUser(handle(), { balanceCents: 5_000 });
    const [low, high] = a.id < b.id ? [a, b] : [b, a];
    const [from, to] = order === 'payer id sorts first' ? [low, high] : [high, low];
    const fromBefore = await balanceOf(handle(), from.id);
    const toBefore = await balanceOf(handle(), to.id);
    const attempt = inTransaction(handle().db, (tx) => moveMoney(tx, from.id, to.id, fromBefore + 1));
    await expect(attempt).rejects.toThrow(DomainError);
    await expect(attempt).rejects.toMatchObject({ kind: 'conflict', code: 'insufficient_funds' });
    expect(await balanceOf(handle(), from.id)).toBe(fromBefore);
    expect(await balanceOf(handle(), to.id)).toBe(toBefore);
  });

  it('has a CHECK constraint that keeps balances >= 0 even when the domain is bypassed', async () => {
    const user = await makeUser(handle(), { balanceCents: 100 });
    const error = await handle()
      .db.updateTable('users')
      .set((eb) => ({ balance_cents: eb('balance_cents', '-', 101) }))
      .where('id', '=', user.id)
      .execute()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeDefined();
    // SQLite's and PostgreSQL's codes for a CHECK constraint violation.
    expect(['SQLITE_CONSTRAINT_CHECK', '23514']).toContain((error as { code?: string }).code);
    expect(await balanceOf(handle(), user.id)).toBe(100);
  });

  it('runs opposite concurrent transfers (A→B while B→A) to completion without a deadlock', async () => {
    const a = await makeUser(handle(), { balanceCents: 10_000 });
    const b = await makeUser(handle(), { balanceCents: 10_000 });
    const actorA = await actorFor(handle(), a);
    const actorB = await actorFor(handle(), b);
    if (dialect === 'postgres') {
      // Hold each balance row lock a little longer than a query takes, so that locking the two rows in
      // opposite orders would meet in a deadlock every time rather than once in a while.
      await sql`create function drop_test_slow_update() returns trigger language plpgsql as
        $$ begin perform pg_sleep(0.05); return null; end $$`.execute(handle().db);
      await sql`create trigger drop_test_slow_users after update on users
        for each row execute function drop_test_slow_update()`.execute(handle().db);
    }
    try {
      for (let round = 0; round < 3; round++) {
        const key = `round-${round}-key`;
        const ab = await inTransaction(handle().db, (tx) => createTransfer(tx, actorA, { toEmail: b.email, amountCents: 300 }, key));
        const ba = await inTransaction(handle().db, (tx) => createTransfer(tx, actorB, { toEmail: a.email, amountCents: 100 }, key));
        const bothOpen = rendezvous(dialect, 2);
        const results = await Promise.allSettled([
          inTransaction(handle().db, async (tx) => {
            await bothOpen();
            return confirmTransfer(tx, actorA, ab.transfer.id);
          }),
          inTransaction(handle().db, async (tx) => {
            await bothOpen();
            return confirmTransfer(tx, actorB, ba.transfer.id);
          }),
        ]);
        expect(results.map((r) => (r.status === 'rejected' ? String(r.reason) : r.status))).toEqual(['fulfilled', 'fulfilled']);
      }
    } finally {
      if (dialect === 'postgres') {
        await sql`drop trigger drop_test_slow_users on users`.execute(handle().db);
        await sql`drop function drop_test_slow_update()`.execute(handle().db);
      }
    }
    expect(await balanceOf(handle(), a.id)).toBe(10_000 - 3 * 300 + 3 * 100);
    expect(await balanceOf(handle(), b.id)).toBe(10_000 + 3 * 300 - 3 * 100);
  });
});
