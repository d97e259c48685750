import { describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../test/helpers/databases';
import { actorFor, balanceOf, makeUser, outcomes, rendezvous, useDatabase } from '../../../test/helpers/domain-fixture';
import { inTransaction } from '../db/transaction';
import type { Actor } from './context';
import { cancelTransfer, confirmTransfer, createTransfer, listTransfers, type NewTransferInput } from './transfers';

describe.each(DIALECTS)('transfers on %s', (dialect) => {
  const handle = useDatabase(dialect);
  const create = (actor: Actor, input: NewTransferInput, key: string) =>
    inTransaction(handle().db, (tx) => createTransfer(tx, actor, input, key));
  const confirm = (actor: Actor, id: string) => inTransaction(handle().db, (tx) => confirmTransfer(tx, actor, id));
  const cancel = (actor: Actor, id: string) => inTransaction(handle().db, (tx) => cancelTransfer(tx, actor, id));

  async function pair(fromCents = 10_000, toCents = 0) {
    const from = await makeUser(handle(), { balanceCents: fromCents });
    const to = await makeUser(handle(), { balanceCents: toCents });
    return { from, to, actor: await actorFor(handle(), from) };
  }

  it('creates a pending transfer that moves no money until it is confirmed', async () => {
    const { from, to, actor } = await pair();
    const { transfer, replayed } = await create(
      actor,
      { toEmail: to.email.toUpperCase(), amountCents: 1_234, note: 'lunch' },
      'key-create-1',
    );
    expect(replayed).toBe(false);
    expect(transfer).toMatchObject({
      kind: 'transfer',
      direction: 'sent',
      status: 'pending',
      amountCents: 1_234,
      note: 'lunch',
      from: { id: from.id, email: from.email },
      to: { id: to.id, email: to.email },
      completedAt: null,
    });
    expect(await balanceOf(handle(), from.id)).toBe(10_000);

    const confirmed = await confirm(actor, transfer.id);
    expect(confirmed).toMatchObject({ id: transfer.id, status: 'completed', completedAt: expect.any(String) });
    expect(await balanceOf(handle(), from.id)).toBe(10_000 - 1_234);
    expect(await balanceOf(handle(), to.id)).toBe(1_234);
  });

  it('refuses an unknown recipient and a transfer to oneself', async () => {
    const { from, actor } = await pair();
    await expect(create(actor, { toEmail: 'nobody@example.test', amountCents: 1 }, 'key-unknown-1')).rejects.toMatchObject({
      kind: 'not_found',
      code: 'recipient_not_found',
    });
    await expect(create(actor, { toEmail: from.email, amountCents: 1 }, 'key-self-0001')).rejects.toMatchObject({
      kind: 'invalid',
      code: 'self_transfer',
    });
  });

  describe('idempotency', () => {
    it('replays the same transfer for the same key and body, without a second row', async () => {
      const { from, to, actor } = await pair();
      const input = { toEmail: to.email, amountCents: 700, note: 'rent' };
      const first = await create(actor, input, 'key-replay-1');
      const second = await create(actor, { ...input, toEmail: ` ${to.email.toUpperCase()} ` }, 'key-replay-1');
      expect(second.replayed).toBe(true);
      expect(second.transfer).toEqual(first.transfer);
      const rows = await handle().db.selectFrom('transfers').select('id').where('from_user_id', '=', from.id).execute();
      expect(rows).toHaveLength(1);
    });

    it('refuses the same key with another body (409 idempotency_key_reused)', async () => {
      const { to, actor } = await pair();
      await create(actor, { toEmail: to.email, amountCents: 700 }, 'key-reuse-1');
      for (const other of [
        { toEmail: to.email, amountCents: 701 },
        { toEmail: to.email, amountCents: 700, note: 'different' },
      ]) {
        await expect(create(actor, other, 'key-reuse-1')).rejects.toMatchObject({ kind: 'conflict', code: 'idempotency_key_reused' });
      }
    });

    it("scopes keys to the sender: another user's key of the same value is a new transfer", async () => {
      const { to, actor } = await pair();
      const other = await actorFor(handle(), await makeUser(handle(), { balanceCents: 1_000 }));
      const mine = await create(actor, { toEmail: to.email, amountCents: 100 }, 'shared-key-1');
      const theirs = await create(other, { toEmail: to.email, amountCents: 100 }, 'shared-key-1');
      expect(theirs.replayed).toBe(false);
      expect(theirs.transfer.id).not.toBe(mine.transfer.id);
    });

    it('creates one transfer when the same request arrives twice at the same time', async () => {
      const { from, to, actor } = await pair();
      const bothOpen = rendezvous(dialect, 2);
      const input = { toEmail: to.email, amountCents: 250 };
      const { fulfilled, rejected } = await outcomes(
        [0, 1].map(() =>
          inTransaction(handle().db, async (tx) => {
            await bothOpen();
            return createTransfer(tx, actor, input, 'key-concurrent-1');
          }),
        ),
      );
      const rows = await handle().db.selectFrom('transfers').select('id').where('from_user_id', '=', from.id).execute();
      expect(rows).toHaveLength(1);
      // The loser either saw the winner's row (a replay) or ran into its unique key (retry later).
      for (const result of fulfilled) expect(result.transfer.id).toBe(rows[0]!.id);
      for (const error of rejected) expect(error).toMatchObject({ kind: 'conflict', code: 'idempotency_in_progress' });
      expect(fulfilled.length).toBeGreaterThanOrEqual(1);
    });
  });

  describe('confirming', () => {
    it('refuses a transfer that is not pending any more (409 transfer_not_pending)', async () => {
      const { from, to, actor } = await pair();
      const { transfer } = await create(actor, { toEmail: to.email, amountCents: 100 }, 'key-twice-01');
      await confirm(actor, transfer.id);
      await expect(confirm(actor, transfer.id)).rejects.toMatchObject({ kind: 'conflict', code: 'transfer_not_pending' });
      expect(await balanceOf(handle(), from.id)).toBe(9_900);
      expect(await balanceOf(handle(), to.id)).toBe(100);
    });

    it('refuses when funds are short and leaves the transfer pending and both balances as they were', async () => {
      const { from, to, actor } = await pair(500, 40);
      const { transfer } = await create(actor, { toEmail: to.email, amountCents: 501 }, 'key-short-01');
      await expect(confirm(actor, transfer.id)).rejects.toMatchObject({ kind: 'conflict', code: 'insufficient_funds' });
      const row = await handle().db.selectFrom('transfers').selectAll().where('id', '=', transfer.id).executeTakeFirstOrThrow();
      expect(row).toMatchObject({ status: 'pending', completed_at: null });
      expect(await balanceOf(handle(), from.id)).toBe(500);
      expect(await balanceOf(handle(), to.id)).toBe(40);
    });

    it("does not let the recipient or a stranger confirm someone else's transfer (404)", async () => {
      const { to, actor } = await pair();
      const { transfer } = await create(actor, { toEmail: to.email, amountCents: 100 }, 'key-foreign-1');
      const recipient = await actorFor(handle(), to);
      await expect(confirm(recipient, transfer.id)).rejects.toMatchObject({ kind: 'not_found', code: 'transfer_not_found' });
      await expect(confirm(actor, 'no-such-transfer')).rejects.toMatchObject({ kind: 'not_found' });
    });

    it('moves the money once when the same transfer is confirmed concurrently', async () => {
      const { from, to, actor } = await pair(10_000, 0);
      const { transfer } = await create(actor, { toEmail: to.email, amountCents: 4_000 }, 'key-race-0001');
      const parallel = 5;
      const allOpen = rendezvous(dialect, parallel);
      const { fulfilled, rejected } = await outcomes(
        Array.from({ length: parallel }, () =>
          inTransaction(handle().db, async (tx) => {
            await allOpen();
            return confirmTransfer(tx, actor, transfer.id);
          }),
        ),
      );
      expect(fulfilled).toHaveLength(1);
      expect(rejected).toHaveLength(parallel - 1);
      for (const error of rejected) expect(error).toMatchObject({ code: 'transfer_not_pending' });
      expect(await balanceOf(handle(), from.id)).toBe(6_000);
      expect(await balanceOf(handle(), to.id)).toBe(4_000);
    });
  });

  describe('cancelling', () => {
    it('cancels a pending transfer, moves no money, and it can be neither confirmed nor cancelled again', async () => {
      const { from, to, actor } = await pair(300);
      const { transfer } = await create(actor, { toEmail: to.email, amountCents: 500 }, 'key-cancel-01');
      await expect(confirm(actor, transfer.id)).rejects.toMatchObject({ code: 'insufficient_funds' });
      const cancelled = await cancel(actor, transfer.id);
      expect(cancelled).toMatchObject({ id: transfer.id, status: 'cancelled', completedAt: null });
      await handle().db.updateTable('users').set({ balance_cents: 10_000 }).where('id', '=', from.id).execute();
      await expect(confirm(actor, transfer.id)).rejects.toMatchObject({ kind: 'conflict', code: 'transfer_not_pending' });
      await expect(cancel(actor, transfer.id)).rejects.toMatchObject({ kind: 'conflict', code: 'transfer_not_pending' });
      expect(await balanceOf(handle(), from.id)).toBe(10_000);
      expect(await balanceOf(handle(), to.id)).toBe(0);
    });

    it('refuses a completed transfer (409) and leaves it completed', async () => {
      const { to, actor } = await pair();
      const { transfer } = await create(actor, { toEmail: to.email, amountCents: 100 }, 'key-cancel-02');
      await confirm(actor, transfer.id);
      await expect(cancel(actor, transfer.id)).rejects.toMatchObject({ kind: 'conflict', code: 'transfer_not_pending' });
      const row = await handle().db.selectFrom('transfers').select('status').where('id', '=', transfer.id).executeTakeFirstOrThrow();
      expect(row.status).toBe('completed');
    });

    it("does not let the recipient or a stranger cancel someone else's transfer (404)", async () => {
      const { to, actor } = await pair();
      const { transfer } = await create(actor, { toEmail: to.email, amountCents: 100 }, 'key-cancel-03');
      await expect(cancel(await actorFor(handle(), to), transfer.id)).rejects.toMatchObject({
        kind: 'not_found',
        code: 'transfer_not_found',
      });
      const stranger = await actorFor(handle(), await makeUser(handle()));
      await expect(cancel(stranger, transfer.id)).rejects.toMatchObject({ kind: 'not_found', code: 'transfer_not_found' });
    });

    it('lets exactly one of a concurrent confirm and cancel win', async () => {
      const { from, to, actor } = await pair(10_000, 0);
      const { transfer } = await create(actor, { toEmail: to.email, amountCents: 1_000 }, 'key-cancel-04');
      const bothOpen = rendezvous(dialect, 2);
      const { fulfilled, rejected } = await outcomes([
        inTransaction(handle().db, async (tx) => {
          await bothOpen();
          return confirmTransfer(tx, actor, transfer.id);
        }),
        inTransaction(handle().db, async (tx) => {
          await bothOpen();
          return cancelTransfer(tx, actor, transfer.id);
        }),
      ]);
      expect(fulfilled).toHaveLength(1);
      expect(rejected).toEqual([expect.objectContaining({ code: 'transfer_not_pending' })]);
      const moved = fulfilled[0]!.status === 'completed' ? 1_000 : 0;
      expect(await balanceOf(handle(), from.id)).toBe(10_000 - moved);
      expect(await balanceOf(handle(), to.id)).toBe(moved);
    });
  });

  it("lists a user's sent and received transfers, newest first; a received one once the money moved", async () => {
    const a = await makeUser(handle(), { balanceCents: 10_000 });
    const b = await makeUser(handle(), { balanceCents: 10_000 });
    const stranger = await pair();
    const actorA = await actorFor(handle(), a);
    const actorB = await actorFor(handle(), b);
    const first = await create(actorA, { toEmail: b.email, amountCents: 1 }, 'key-list-0001');
    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = await create(actorB, { toEmail: a.email, amountCents: 2 }, 'key-list-0002');
    await create(stranger.actor, { toEmail: stranger.to.email, amountCents: 3 }, 'key-list-0003');

    // Pending, `second` has moved nothing: a does not see it yet; b sees it (its sender).
    expect((await listTransfers(handle().db, a.id)).map((t) => [t.id, t.direction])).toEqual([[first.transfer.id, 'sent']]);
    expect((await listTransfers(handle().db, b.id)).map((t) => [t.id, t.direction])).toEqual([[second.transfer.id, 'sent']]);
    await confirm(actorB, second.transfer.id);
    const list = await listTransfers(handle().db, a.id);
    expect(list.map((t) => [t.id, t.direction])).toEqual([
      [second.transfer.id, 'received'],
      [first.transfer.id, 'sent'],
    ]);
    expect(await listTransfers(handle().db, a.id, 1)).toHaveLength(1);
  });
});
