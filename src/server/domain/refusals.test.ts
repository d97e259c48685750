import { describe, expect, it } from 'vitest';
import { revealAuditRows, verifyAuditChain } from '@audit';
import { DIALECTS } from '../../../test/helpers/databases';
import { actorFor, balanceOf, makeUser, useDatabase } from '../../../test/helpers/domain-fixture';
import { getAuditKeyring } from '../auth/audit-keys';
import { inTransaction } from '../db/transaction';
import { attemptSubmitKyc } from './kyc';
import { withRefusalRecorded } from './refusals';
import { attemptPayPaymentRequest, createPaymentRequest } from './qr';
import { attemptRevokeSession } from './sessions';
import { attemptCancelTransfer, attemptConfirmTransfer, attemptCreateTransfer, listTransfers } from './transfers';

describe.each(DIALECTS)('refused attempts in the audit trail on %s', (dialect) => {
  const handle = useDatabase(dialect);

  /** The user's entries, oldest first, as an auditor reads them (details decrypted). */
  async function entriesOf(userId: string) {
    const rows = await handle().db.selectFrom('audit_log').selectAll().where('user_id', '=', userId).orderBy('id').execute();
    return (await revealAuditRows(handle().db, getAuditKeyring(), rows)).map((row) => ({
      action: row.action,
      outcome: row.outcome,
      resource: row.resource,
      details: JSON.parse(row.details) as Record<string, unknown>,
    }));
  }

  async function pair(senderCents: number) {
    const from = await makeUser(handle(), { balanceCents: senderCents });
    const to = await makeUser(handle(), { balanceCents: 0 });
    return { from, to, actor: await actorFor(handle(), from), toActor: await actorFor(handle(), to) };
  }

  it('a send refused for too little money is a transfer_completed failure (insufficient_funds), the transfer keeps the reason, the cancel says why', async () => {
    const { from, to, actor, toActor } = await pair(500);
    const { transfer } = await attemptCreateTransfer(
      handle().db,
      actor,
      { toEmail: to.email, amountCents: 2_000, note: 'rent' },
      'refused-key-1',
    );
    await expect(attemptConfirmTransfer(handle().db, actor, transfer.id)).rejects.toMatchObject({ code: 'insufficient_funds' });
    expect(await balanceOf(handle(), from.id)).toBe(500);
    const [pending] = await listTransfers(handle().db, from.id);
    expect(pending).toMatchObject({ id: transfer.id, status: 'pending', failureReason: 'insufficient_funds' });
    await attemptCancelTransfer(handle().db, actor, transfer.id);

    expect(await entriesOf(from.id)).toEqual([
      expect.objectContaining({ action: 'session_created' }),
      {
        action: 'transfer_initiated',
        outcome: 'success',
        resource: `transfer:${transfer.id}`,
        details: { amountCents: 2_000, toUserId: to.id },
      },
      {
        action: 'transfer_completed',
        outcome: 'failure',
        resource: `transfer:${transfer.id}`,
        details: { amountCents: 2_000, toUserId: to.id, reason: 'insufficient_funds' },
      },
      {
        action: 'transfer_cancelled',
        outcome: 'success',
        resource: `transfer:${transfer.id}`,
        details: { amountCents: 2_000, toUserId: to.id, reason: 'insufficient_funds' },
      },
    ]);
    // The sender sees the cancelled attempt and why; the recipient sees nothing: no money moved.
    expect(await listTransfers(handle().db, from.id)).toEqual([
      expect.objectContaining({ id: transfer.id, status: 'cancelled', failureReason: 'insufficient_funds' }),
    ]);
    expect(await listTransfers(handle().db, toActor.userId)).toEqual([]);
    expect((await verifyAuditChain(handle())).ok).toBe(true);
  });

  it('refused creates, confirms and cancels are failures with the rule that refused them', async () => {
    const { from, to, actor } = await pair(10_000);
    await expect(
      attemptCreateTransfer(handle().db, actor, { toEmail: 'nobody@nowhere.test', amountCents: 100 }, 'refused-key-2'),
    ).rejects.toMatchObject({
      code: 'recipient_not_found',
    });
    await expect(
      attemptCreateTransfer(handle().db, actor, { toEmail: from.email, amountCents: 100 }, 'refused-key-3'),
    ).rejects.toMatchObject({
      code: 'self_transfer',
    });
    const { transfer } = await attemptCreateTransfer(handle().db, actor, { toEmail: to.email, amountCents: 100 }, 'refused-key-4');
    await expect(attemptCreateTransfer(handle().db, actor, { toEmail: to.email, amountCents: 999 }, 'refused-key-4')).rejects.toMatchObject(
      {
        code: 'idempotency_key_reused',
      },
    );
    await attemptConfirmTransfer(handle().db, actor, transfer.id);
    await expect(attemptConfirmTransfer(handle().db, actor, transfer.id)).rejects.toMatchObject({ code: 'transfer_not_pending' });
    await expect(attemptCancelTransfer(handle().db, actor, transfer.id)).rejects.toMatchObject({ code: 'transfer_not_pending' });
    await expect(attemptConfirmTransfer(handle().db, actor, 'no-such-transfer')).rejects.toMatchObject({ code: 'transfer_not_found' });

    const failures = (await entriesOf(from.id)).filter((e) => e.outcome === 'failure');
    expect(failures).toEqual([
      {
        action: 'transfer_initiated',
        outcome: 'failure',
        resource: 'transfer:none',
        details: { amountCents: 100, email: 'n***@nowhere.test', reason: 'recipient_not_found' },
      },
      {
        action: 'transfer_initiated',
        outcome: 'failure',
        resource: 'transfer:none',
        details: { amountCents: 100, toUserId: from.id, reason: 'self_transfer' },
      },
      {
        action: 'transfer_initiated',
        outcome: 'failure',
        resource: 'transfer:none',
        details: { amountCents: 999, toUserId: to.id, reason: 'idempotency_key_reused' },
      },
      {
        action: 'transfer_completed',
        outcome: 'failure',
        resource: `transfer:${transfer.id}`,
        details: { amountCents: 100, toUserId: to.id, reason: 'transfer_not_pending' },
      },
      {
        action: 'transfer_cancelled',
        outcome: 'failure',
        resource: `transfer:${transfer.id}`,
        details: { amountCents: 100, toUserId: to.id, reason: 'transfer_not_pending' },
      },
      {
        action: 'transfer_completed',
        outcome: 'failure',
        resource: 'transfer:no-such-transfer',
        details: { reason: 'transfer_not_found' },
      },
    ]);
    expect((await verifyAuditChain(handle())).ok).toBe(true);
  });

  it('refused QR payments (own request, too little money, already paid, expired, unknown code) are qr_payment failures', async () => {
    const payee = await makeUser(handle(), { balanceCents: 0 });
    const payeeActor = await actorFor(handle(), payee);
    const rich = await actorFor(handle(), await makeUser(handle(), { balanceCents: 10_000 }));
    const poor = await actorFor(handle(), await makeUser(handle(), { balanceCents: 100 }));
    const request = (amountCents: number) => inTransaction(handle().db, (tx) => createPaymentRequest(tx, payeeActor, { amountCents }));
    const { request: open } = await request(1_000);
    const { request: old } = await request(500);
    await handle()
      .db.updateTable('payment_requests')
      .set({ expires_at: Date.now() - 1 })
      .where('code', '=', old.code)
      .execute();

    await expect(attemptPayPaymentRequest(handle().db, payeeActor, open.code)).rejects.toMatchObject({ code: 'own_payment_request' });
    await expect(attemptPayPaymentRequest(handle().db, poor, open.code)).rejects.toMatchObject({ code: 'insufficient_funds' });
    await attemptPayPaymentRequest(handle().db, rich, open.code);
    await expect(attemptPayPaymentRequest(handle().db, poor, open.code)).rejects.toMatchObject({ code: 'qr_already_paid' });
    await expect(attemptPayPaymentRequest(handle().db, rich, old.code)).rejects.toMatchObject({ code: 'qr_expired' });
    await expect(attemptPayPaymentRequest(handle().db, poor, 'no-such-code-123')).rejects.toMatchObject({ code: 'qr_not_found' });

    const paying = (code: string, amountCents: number) => ({ amountCents, toUserId: payee.id, paymentRequest: code });
    expect((await entriesOf(payee.id)).filter((e) => e.outcome === 'failure')).toEqual([
      {
        action: 'qr_payment',
        outcome: 'failure',
        resource: `payment_request:${open.code}`,
        details: { ...paying(open.code, 1_000), reason: 'own_payment_request' },
      },
    ]);
    expect((await entriesOf(poor.userId)).filter((e) => e.outcome === 'failure')).toEqual([
      {
        action: 'qr_payment',
        outcome: 'failure',
        resource: `payment_request:${open.code}`,
        details: { ...paying(open.code, 1_000), reason: 'insufficient_funds' },
      },
      {
        action: 'qr_payment',
        outcome: 'failure',
        resource: `payment_request:${open.code}`,
        details: { ...paying(open.code, 1_000), reason: 'qr_already_paid' },
      },
      {
        action: 'qr_payment',
        outcome: 'failure',
        resource: 'payment_request:unknown',
        details: { paymentRequest: 'no-such-code-123', reason: 'qr_not_found' },
      },
    ]);
    expect((await entriesOf(rich.userId)).filter((e) => e.action === 'qr_payment').map((e) => [e.outcome, e.details.reason])).toEqual([
      ['success', undefined],
      ['failure', 'qr_expired'],
    ]);
    expect(await balanceOf(handle(), poor.userId)).toBe(100);
    expect((await verifyAuditChain(handle())).ok).toBe(true);
  });

  it('a second KYC submission and revoking a session that is not one of yours are failures', async () => {
    const user = await makeUser(handle());
    const actor = await actorFor(handle(), user);
    const stranger = await actorFor(handle(), await makeUser(handle()));
    const kyc = { fullName: 'Ann Example', dateOfBirth: '1990-01-01', documentType: 'passport' as const, documentNumber: 'X1234567' };
    const { id } = await attemptSubmitKyc(handle().db, actor, kyc);
    await expect(attemptSubmitKyc(handle().db, actor, { ...kyc, documentType: 'id_card' })).rejects.toMatchObject({
      code: 'kyc_already_submitted',
    });
    await expect(attemptRevokeSession(handle().db, actor, stranger.sessionId)).rejects.toMatchObject({ code: 'session_not_found' });

    expect((await entriesOf(user.id)).filter((e) => e.outcome === 'failure')).toEqual([
      {
        action: 'kyc_submitted',
        outcome: 'failure',
        resource: `kyc_submission:${id}`,
        details: { documentType: 'id_card', reason: 'kyc_already_submitted' },
      },
      {
        action: 'session_revoked',
        outcome: 'failure',
        resource: `session:${stranger.sessionId}`,
        details: { reason: 'session_not_found' },
      },
    ]);
    expect((await verifyAuditChain(handle())).ok).toBe(true);
  });

  it('records nothing for an error that is not a refusal (the action failed, no rule said no): it goes on to the caller', async () => {
    const actor = await actorFor(handle(), await makeUser(handle()));
    const before = await handle()
      .db.selectFrom('audit_log')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    const broken = new Error('the database went away');
    await expect(
      withRefusalRecorded(
        handle().db,
        actor,
        async () => {
          throw broken;
        },
        () => ({ fact: { action: 'transfer_completed', resource: 'transfer:x', userId: actor.userId } }),
      ),
    ).rejects.toBe(broken);
    const after = await handle()
      .db.selectFrom('audit_log')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });
});
