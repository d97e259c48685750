import crypto from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Executor, Tx } from '../db/transaction';
import type { Database, PaymentRequest, Transfer } from '../db/schema';
import { QR_TTL_MS } from '../config';
import { recordAudit } from './audit';
import type { Actor } from './context';
import { conflict, invalid, notFound } from './errors';
import { moveMoney } from './money';
import { withRefusalRecorded } from './refusals';
import { getTransferView, type TransferView } from './transfers';
import { findUserNames } from './users';

export interface PaymentRequestView {
  code: string;
  amountCents: number;
  description: string | null;
  status: PaymentRequest['status'];
  createdAt: string;
  expiresAt: string;
}

/** The URI a payee shows as a QR code; a payer's app reads it and calls POST /api/qr/{code}/pay. */
export function paymentUri(request: Pick<PaymentRequest, 'code' | 'amount_cents' | 'description'>): string {
  const params = new URLSearchParams({ code: request.code, amount: String(request.amount_cents), currency: 'EUR' });
  if (request.description) params.set('description', request.description);
  return `drop://pay?${params.toString()}`;
}

const toView = (r: PaymentRequest): PaymentRequestView => ({
  code: r.code,
  amountCents: r.amount_cents,
  description: r.description,
  status: r.status,
  createdAt: new Date(r.created_at).toISOString(),
  expiresAt: new Date(r.expires_at).toISOString(),
});

export async function createPaymentRequest(
  tx: Tx,
  actor: Actor,
  input: { amountCents: number; description?: string },
): Promise<{ request: PaymentRequestView; payload: string }> {
  const now = Date.now();
  const request: PaymentRequest = {
    code: crypto.randomBytes(16).toString('base64url'),
    payee_user_id: actor.userId,
    amount_cents: input.amountCents,
    description: input.description ?? null,
    status: 'open',
    created_at: now,
    expires_at: now + QR_TTL_MS,
    paid_at: null,
    paid_by_user_id: null,
    transfer_id: null,
  };
  await tx.insertInto('payment_requests').values(request).execute();
  return { request: toView(request), payload: paymentUri(request) };
}

export interface QrPaymentView {
  code: string;
  amountCents: number;
  description: string | null;
  paidAt: string;
  transfer: TransferView;
}

export async function payPaymentRequest(tx: Tx, actor: Actor, code: string): Promise<QrPaymentView> {
  const request = await tx.selectFrom('payment_requests').selectAll().where('code', '=', code).executeTakeFirst();
  if (!request) throw notFound('qr_not_found', 'No such payment request');
  if (request.payee_user_id === actor.userId) throw invalid('own_payment_request', 'You cannot pay your own request');
  const now = Date.now();
  if (request.status !== 'open') throw conflict('qr_already_paid', 'This payment request has already been paid');
  if (request.expires_at <= now) throw conflict('qr_expired', 'This payment request has expired');

  const transfer: Transfer = {
    id: crypto.randomUUID(),
    kind: 'qr_payment',
    from_user_id: actor.userId,
    to_user_id: request.payee_user_id,
    amount_cents: request.amount_cents,
    note: request.description,
    status: 'completed',
    idempotency_key: null,
    request_hash: null,
    created_at: now,
    completed_at: now,
    failure_reason: null,
  };
  // Claim the request first: of two concurrent payers exactly one flips it.
  const claimed = await tx
    .updateTable('payment_requests')
    .set({ status: 'paid', paid_at: now, paid_by_user_id: actor.userId })
    .where('code', '=', code)
    .where('status', '=', 'open')
    .executeTakeFirst();
  if (claimed.numUpdatedRows === 0n) throw conflict('qr_already_paid', 'This payment request has already been paid');
  await tx.insertInto('transfers').values(transfer).execute();
  await tx.updateTable('payment_requests').set({ transfer_id: transfer.id }).where('code', '=', code).execute();
  await moveMoney(tx, actor.userId, request.payee_user_id, request.amount_cents);
  await recordAudit(tx, actor, {
    action: 'qr_payment',
    resource: `transfer:${transfer.id}`,
    userId: actor.userId,
    details: { amountCents: request.amount_cents, toUserId: request.payee_user_id, paymentRequest: code },
  });
  return {
    code,
    amountCents: request.amount_cents,
    description: request.description,
    paidAt: new Date(now).toISOString(),
    transfer: await getTransferView(tx, actor.userId, transfer.id),
  };
}

/**
 * payPaymentRequest in its own transaction; a refusal (unknown code, one's own request, already paid, expired, too
 * little money) is recorded as `qr_payment` failure with the request's code, amount and payee when it exists.
 */
export function attemptPayPaymentRequest(db: Kysely<Database>, actor: Actor, code: string) {
  return withRefusalRecorded(
    db,
    actor,
    (tx) => payPaymentRequest(tx, actor, code),
    async () => {
      const request = await db.selectFrom('payment_requests').selectAll().where('code', '=', code).executeTakeFirst();
      return {
        fact: {
          action: 'qr_payment',
          resource: request ? `payment_request:${request.code}` : 'payment_request:unknown',
          userId: actor.userId,
          details: request
            ? { amountCents: request.amount_cents, toUserId: request.payee_user_id, paymentRequest: request.code }
            : { paymentRequest: code.slice(0, 64) },
        },
      };
    },
  );
}

/** What a person sees: an open request past its expiry is `expired` (the stored status stays `open`). */
export type PaymentRequestState = 'open' | 'paid' | 'expired';

export const paymentRequestState = (r: Pick<PaymentRequest, 'status' | 'expires_at'>, now = Date.now()): PaymentRequestState =>
  r.status === 'paid' ? 'paid' : r.expires_at <= now ? 'expired' : 'open';

export interface OwnPaymentRequestView extends PaymentRequestView {
  state: PaymentRequestState;
  payload: string;
  paidAt: string | null;
  paidBy: { name: string } | null;
}

function toOwnView(r: PaymentRequest, names: Map<string, string>, now: number): OwnPaymentRequestView {
  return {
    ...toView(r),
    state: paymentRequestState(r, now),
    payload: paymentUri(r),
    paidAt: r.paid_at === null ? null : new Date(r.paid_at).toISOString(),
    paidBy: r.paid_by_user_id ? { name: names.get(r.paid_by_user_id) ?? 'a Drop user' } : null,
  };
}

/** The payee's own requests, newest first, with who paid each. */
export async function listPaymentRequests(db: Executor, payeeId: string, limit = 20): Promise<OwnPaymentRequestView[]> {
  const rows = await db
    .selectFrom('payment_requests')
    .selectAll()
    .where('payee_user_id', '=', payeeId)
    .orderBy('created_at', 'desc')
    .orderBy('code', 'desc')
    .limit(limit)
    .execute();
  const names = await findUserNames(
    db,
    rows.flatMap((r) => (r.paid_by_user_id ? [r.paid_by_user_id] : [])),
  );
  const now = Date.now();
  return rows.map((r) => toOwnView(r, names, now));
}

/** One of the payee's own requests, or undefined (also when the code is someone else's). */
export async function findOwnPaymentRequest(db: Executor, payeeId: string, code: string): Promise<OwnPaymentRequestView | undefined> {
  const row = await db
    .selectFrom('payment_requests')
    .selectAll()
    .where('code', '=', code)
    .where('payee_user_id', '=', payeeId)
    .executeTakeFirst();
  if (!row) return undefined;
  const names = await findUserNames(db, row.paid_by_user_id ? [row.paid_by_user_id] : []);
  return toOwnView(row, names, Date.now());
}

export interface PayableRequestView {
  code: string;
  amountCents: number;
  description: string | null;
  state: PaymentRequestState;
  expiresAt: string;
  /** Whom the money goes to: the payer checks name and email before paying. */
  payee: { id: string; name: string; email: string };
  /** When the viewer is the one who paid it. */
  paidByViewerAt: string | null;
  /** The transfer of the viewer's payment (their receipt's reference), when they paid it. */
  paidByViewerTransferId: string | null;
}

/** What a payer is shown before paying: the amount, what for, whom to, and whether it can still be paid. */
export async function findPayableRequest(db: Executor, code: string, viewerId: string): Promise<PayableRequestView | undefined> {
  const row = await db
    .selectFrom('payment_requests as p')
    .innerJoin('users as u', 'u.id', 'p.payee_user_id')
    .select([
      'p.code',
      'p.amount_cents',
      'p.description',
      'p.status',
      'p.expires_at',
      'p.paid_at',
      'p.paid_by_user_id',
      'p.transfer_id',
      'u.id as payee_id',
      'u.name as payee_name',
      'u.email as payee_email',
    ])
    .where('p.code', '=', code)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    code: row.code,
    amountCents: row.amount_cents,
    description: row.description,
    state: paymentRequestState(row),
    expiresAt: new Date(row.expires_at).toISOString(),
    payee: { id: row.payee_id, name: row.payee_name, email: row.payee_email },
    paidByViewerAt: row.paid_by_user_id === viewerId && row.paid_at !== null ? new Date(row.paid_at).toISOString() : null,
    paidByViewerTransferId: row.paid_by_user_id === viewerId ? row.transfer_id : null,
  };
}
