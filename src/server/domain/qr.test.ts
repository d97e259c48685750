import { describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../test/helpers/databases';
import { actorFor, balanceOf, makeUser, outcomes, rendezvous, useDatabase } from '../../../test/helpers/domain-fixture';
import { inTransaction } from '../db/transaction';
import type { Actor } from './context';
import { createPaymentRequest, findOwnPaymentRequest, findPayableRequest, listPaymentRequests, payPaymentRequest } from './qr';

describe.each(DIALECTS)('QR payment requests on %s', (dialect) => {
  const handle = useDatabase(dialect);
  const request = (payee: Actor, amountCents: number, description?: string) =>
    inTransaction(handle().db, (tx) => createPaymentRequest(tx, payee, { amountCents, description }));
  const pay = (payer: Actor, code: string) => inTransaction(handle().db, (tx) => payPaymentRequest(tx, payer, code));

  async function parties(payerCents = 10_000) {
    const payee = await makeUser(handle(), { balanceCents: 0 });
    const payer = await makeUser(handle(), { balanceCents: payerCents });
    return { payee, payer, payeeActor: await actorFor(handle(), payee), payerActor: await actorFor(handle(), payer) };
  }

  it('creates an open request with a drop://pay URI that carries code, amount and description', async () => {
    const { payeeActor } = await parties();
    const { request: created, payload } = await request(payeeActor, 1_250, 'Coffee & cake');
    expect(created).toMatchObject({ amountCents: 1_250, description: 'Coffee & cake', status: 'open' });
    expect(created.code).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const uri = new URL(payload);
    expect(uri.protocol).toBe('drop:');
    expect(uri.host).toBe('pay');
    expect(Object.fromEntries(uri.searchParams)).toEqual({
      code: created.code,
      amount: '1250',
      currency: 'EUR',
      description: 'Coffee & cake',
    });
  });

  it('is paid once: money moves, a completed qr_payment transfer is recorded, a second payment is refused', async () => {
    const { payee, payer, payeeActor, payerActor } = await parties();
    const { request: created } = await request(payeeActor, 1_250);
    const payment = await pay(payerActor, created.code);
    expect(payment).toMatchObject({
      code: created.code,
      amountCents: 1_250,
      transfer: { kind: 'qr_payment', status: 'completed', direction: 'sent', from: { id: payer.id }, to: { id: payee.id } },
    });
    expect(await balanceOf(handle(), payer.id)).toBe(8_750);
    expect(await balanceOf(handle(), payee.id)).toBe(1_250);
    const row = await handle().db.selectFrom('payment_requests').selectAll().where('code', '=', created.code).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'paid', paid_by_user_id: payer.id, transfer_id: payment.transfer.id });

    await expect(pay(payerActor, created.code)).rejects.toMatchObject({ kind: 'conflict', code: 'qr_already_paid' });
    const third = await actorFor(handle(), await makeUser(handle(), { balanceCents: 5_000 }));
    await expect(pay(third, created.code)).rejects.toMatchObject({ kind: 'conflict', code: 'qr_already_paid' });
    expect(await balanceOf(handle(), payer.id)).toBe(8_750);
    expect(await balanceOf(handle(), payee.id)).toBe(1_250);
  });

  it('refuses to let the payee pay their own request (invalid → 400)', async () => {
    const { payeeActor } = await parties();
    const { request: created } = await request(payeeActor, 100);
    await expect(pay(payeeActor, created.code)).rejects.toMatchObject({ kind: 'invalid', code: 'own_payment_request' });
  });

  it('refuses an unknown code (404) and an expired request (409)', async () => {
    const { payeeActor, payerActor } = await parties();
    await expect(pay(payerActor, 'no-such-code')).rejects.toMatchObject({ kind: 'not_found', code: 'qr_not_found' });
    const { request: created } = await request(payeeActor, 100);
    await handle()
      .db.updateTable('payment_requests')
      .set({ expires_at: Date.now() - 1 })
      .where('code', '=', created.code)
      .execute();
    await expect(pay(payerActor, created.code)).rejects.toMatchObject({ kind: 'conflict', code: 'qr_expired' });
  });

  it('stays open and moves nothing when the payer cannot afford it', async () => {
    const { payee, payer, payeeActor, payerActor } = await parties(99);
    const { request: created } = await request(payeeActor, 100);
    await expect(pay(payerActor, created.code)).rejects.toMatchObject({ code: 'insufficient_funds' });
    const row = await handle().db.selectFrom('payment_requests').selectAll().where('code', '=', created.code).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'open', paid_by_user_id: null, transfer_id: null });
    expect(await handle().db.selectFrom('transfers').select('id').where('from_user_id', '=', payer.id).execute()).toEqual([]);
    expect(await balanceOf(handle(), payer.id)).toBe(99);
    expect(await balanceOf(handle(), payee.id)).toBe(0);
  });

  it('takes exactly one payment when several payers pay the same request at the same time', async () => {
    const { payee, payeeActor } = await parties();
    const payers = await Promise.all([0, 1, 2, 3].map(() => makeUser(handle(), { balanceCents: 5_000 })));
    const actors = await Promise.all(payers.map((p) => actorFor(handle(), p)));
    const { request: created } = await request(payeeActor, 3_000);
    const allOpen = rendezvous(dialect, actors.length);
    const { fulfilled, rejected } = await outcomes(
      actors.map((actor) =>
        inTransaction(handle().db, async (tx) => {
          await allOpen();
          return payPaymentRequest(tx, actor, created.code);
        }),
      ),
    );
    expect(fulfilled).toHaveLength(1);
    for (const error of rejected) expect(error).toMatchObject({ code: 'qr_already_paid' });
    const balances = await Promise.all(payers.map((p) => balanceOf(handle(), p.id)));
    expect(balances.sort()).toEqual([2_000, 5_000, 5_000, 5_000]);
    expect(await balanceOf(handle(), payee.id)).toBe(3_000);
  });

  it('shows the payee their requests as open, paid (by whom) or expired, and a payer what they would pay', async () => {
    const { payee, payer, payeeActor, payerActor } = await parties();
    const { request: paid } = await request(payeeActor, 300, 'Paid one');
    await pay(payerActor, paid.code);
    const { request: expired } = await request(payeeActor, 200, 'Expired one');
    await handle()
      .db.updateTable('payment_requests')
      .set({ expires_at: Date.now() - 1 })
      .where('code', '=', expired.code)
      .execute();
    const { request: open } = await request(payeeActor, 100);
    // Created within the same millisecond on a fast machine: give each its own creation time, so "newest first" is one order.
    for (const [offset, code] of [paid.code, expired.code, open.code].entries()) {
      await handle()
        .db.updateTable('payment_requests')
        .set({ created_at: 1_700_000_000_000 + offset })
        .where('code', '=', code)
        .execute();
    }

    const listed = await listPaymentRequests(handle().db, payee.id);
    expect(listed.map((r) => [r.code, r.state, r.paidBy?.name ?? null])).toEqual([
      [open.code, 'open', null],
      [expired.code, 'expired', null],
      [paid.code, 'paid', payer.name],
    ]);
    expect(listed[0]!.payload).toBe(`drop://pay?code=${open.code}&amount=100&currency=EUR`);
    expect(await listPaymentRequests(handle().db, payer.id)).toEqual([]);

    expect(await findOwnPaymentRequest(handle().db, payee.id, paid.code)).toMatchObject({ state: 'paid', paidAt: expect.any(String) });
    expect(await findOwnPaymentRequest(handle().db, payer.id, paid.code)).toBeUndefined();
    expect(await findPayableRequest(handle().db, expired.code, payer.id)).toEqual({
      code: expired.code,
      amountCents: 200,
      description: 'Expired one',
      state: 'expired',
      expiresAt: expect.any(String),
      payee: { id: payee.id, name: payee.name, email: payee.email },
      paidByViewerAt: null,
      paidByViewerTransferId: null,
    });
    const paidRow = await handle()
      .db.selectFrom('payment_requests')
      .select('transfer_id')
      .where('code', '=', paid.code)
      .executeTakeFirstOrThrow();
    expect(await findPayableRequest(handle().db, paid.code, payer.id)).toMatchObject({
      state: 'paid',
      paidByViewerAt: expect.any(String),
      paidByViewerTransferId: paidRow.transfer_id,
    });
    expect(await findPayableRequest(handle().db, paid.code, payee.id)).toMatchObject({
      state: 'paid',
      paidByViewerAt: null,
      paidByViewerTransferId: null,
    });
    expect(await findPayableRequest(handle().db, 'no-such-code', payer.id)).toBeUndefined();
  });
});
