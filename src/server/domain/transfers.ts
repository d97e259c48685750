import crypto from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import type { Executor, Tx } from '../db/transaction';
import type { Transfer } from '../db/schema';
import { isUniqueViolation } from '../db/errors';
import { recordAudit } from './audit';
import type { Actor } from './context';
import { conflict, invalid, notFound } from './errors';
import { moveMoney } from './money';
import { withRefusalRecorded } from './refusals';
import { findUserByEmail, maskEmail, normalizeEmail } from './users';

export interface TransferView {
  id: string;
  kind: Transfer['kind'];
  direction: 'sent' | 'received';
  from: { id: string; email: string; name: string };
  to: { id: string; email: string; name: string };
  amountCents: number;
  note: string | null;
  status: Transfer['status'];
  /** Why a confirm was refused (`insufficient_funds`), for the sender; null when nothing was refused. */
  failureReason: string | null;
  createdAt: string;
  completedAt: string | null;
}

export interface NewTransferInput {
  toEmail: string;
  amountCents: number;
  note?: string;
}

function requestHash(input: NewTransferInput): string {
  const canonical = JSON.stringify([normalizeEmail(input.toEmail), input.amountCents, input.note ?? null]);
  return crypto.createHash('sha256').update(canonical).digest('hex');
}

export async function createTransfer(
  tx: Tx,
  actor: Actor,
  input: NewTransferInput,
  idempotencyKey: string,
): Promise<{ transfer: TransferView; replayed: boolean }> {
  const hash = requestHash(input);
  const existing = await tx
    .selectFrom('transfers')
    .selectAll()
    .where('from_user_id', '=', actor.userId)
    .where('idempotency_key', '=', idempotencyKey)
    .executeTakeFirst();
  if (existing) return { transfer: await replay(tx, actor, existing, hash), replayed: true };

  const recipient = await findUserByEmail(tx, input.toEmail);
  if (!recipient) throw notFound('recipient_not_found', 'No Drop user has this email');
  if (recipient.id === actor.userId) throw invalid('self_transfer', 'You cannot send money to yourself');

  const transfer: Transfer = {
    id: crypto.randomUUID(),
    kind: 'transfer',
    from_user_id: actor.userId,
    to_user_id: recipient.id,
    amount_cents: input.amountCents,
    note: input.note ?? null,
    status: 'pending',
    idempotency_key: idempotencyKey,
    request_hash: hash,
    created_at: Date.now(),
    completed_at: null,
    failure_reason: null,
  };
  try {
    await tx.insertInto('transfers').values(transfer).execute();
  } catch (error) {
    // A concurrent request with the same key won; the caller retries and takes the replay path.
    if (isUniqueViolation(error)) throw conflict('idempotency_in_progress', 'A request with this Idempotency-Key is in progress; retry');
    throw error;
  }
  await recordAudit(tx, actor, {
    action: 'transfer_initiated',
    resource: `transfer:${transfer.id}`,
    userId: actor.userId,
    details: { amountCents: transfer.amount_cents, toUserId: recipient.id },
  });
  return { transfer: await getTransferView(tx, actor.userId, transfer.id), replayed: false };
}

async function replay(tx: Tx, actor: Actor, existing: Transfer, hash: string): Promise<TransferView> {
  if (existing.request_hash !== hash) {
    throw conflict('idempotency_key_reused', 'This Idempotency-Key was used with a different request body');
  }
  return getTransferView(tx, actor.userId, existing.id);
}

const ownTransfer = (db: Executor, userId: string, transferId: string) =>
  db.selectFrom('transfers').selectAll().where('id', '=', transferId).where('from_user_id', '=', userId).executeTakeFirst();

/** The actor's own transfer; another user's is as unknown as a missing one (404). */
async function ownTransferOrNotFound(tx: Tx, actor: Actor, transferId: string): Promise<Transfer> {
  const transfer = await ownTransfer(tx, actor.userId, transferId);
  if (!transfer) throw notFound('transfer_not_found', 'No such transfer');
  return transfer;
}

/**
 * Ends a pending transfer (completed or cancelled). The status flip is the lock: of two concurrent confirms, two
 * cancels, or a confirm and a cancel, exactly one updates the row; the other is a 409.
 */
async function endPendingTransfer(
  tx: Tx,
  transferId: string,
  end: { status: 'completed'; completed_at: number } | { status: 'cancelled' },
): Promise<void> {
  const flipped = await tx
    .updateTable('transfers')
    .set(end)
    .where('id', '=', transferId)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  if (flipped.numUpdatedRows === 0n) throw conflict('transfer_not_pending', 'This transfer is not pending');
}

export async function confirmTransfer(tx: Tx, actor: Actor, transferId: string): Promise<TransferView> {
  const transfer = await ownTransferOrNotFound(tx, actor, transferId);
  await endPendingTransfer(tx, transferId, { status: 'completed', completed_at: Date.now() });
  await moveMoney(tx, transfer.from_user_id, transfer.to_user_id, transfer.amount_cents);
  await recordAudit(tx, actor, {
    action: 'transfer_completed',
    resource: `transfer:${transferId}`,
    userId: actor.userId,
    details: { amountCents: transfer.amount_cents, toUserId: transfer.to_user_id },
  });
  return getTransferView(tx, actor.userId, transferId);
}

/**
 * The sender gives up on a pending transfer (a send that failed to confirm, or one they changed their mind
 * about): it becomes `cancelled`, no money moves, and it can never be confirmed afterwards.
 */
export async function cancelTransfer(tx: Tx, actor: Actor, transferId: string): Promise<TransferView> {
  const transfer = await ownTransferOrNotFound(tx, actor, transferId);
  await endPendingTransfer(tx, transferId, { status: 'cancelled' });
  await recordAudit(tx, actor, {
    action: 'transfer_cancelled',
    resource: `transfer:${transferId}`,
    userId: actor.userId,
    // A cancel after a refused confirm says why the send ended; otherwise the sender changed their mind.
    details: { amountCents: transfer.amount_cents, toUserId: transfer.to_user_id, reason: transfer.failure_reason ?? 'user_request' },
  });
  return getTransferView(tx, actor.userId, transferId);
}

const transferDetails = (transfer: Transfer | undefined) =>
  transfer ? { amountCents: transfer.amount_cents, toUserId: transfer.to_user_id } : {};

/** createTransfer in its own transaction; a refusal (unknown recipient, oneself, a reused key) is recorded as `transfer_initiated` failure. */
export function attemptCreateTransfer(db: Kysely<Database>, actor: Actor, input: NewTransferInput, idempotencyKey: string) {
  return withRefusalRecorded(
    db,
    actor,
    (tx) => createTransfer(tx, actor, input, idempotencyKey),
    async () => {
      const recipient = await findUserByEmail(db, input.toEmail);
      return {
        fact: {
          action: 'transfer_initiated',
          resource: 'transfer:none',
          userId: actor.userId,
          // Not one of ours: only enough of the address to spot a pattern, as for a failed login.
          details: {
            amountCents: input.amountCents,
            ...(recipient ? { toUserId: recipient.id } : { email: maskEmail(normalizeEmail(input.toEmail)) }),
          },
        },
      };
    },
  );
}

/**
 * confirmTransfer in its own transaction; a refusal is recorded as `transfer_completed` failure. Refused for too
 * little money, the transfer stays pending (it can be confirmed once the balance allows, or cancelled) and keeps
 * the reason, which its sender sees and a later cancel records.
 */
export function attemptConfirmTransfer(db: Kysely<Database>, actor: Actor, transferId: string) {
  return withRefusalRecorded(
    db,
    actor,
    (tx) => confirmTransfer(tx, actor, transferId),
    async (error) => ({
      fact: {
        action: 'transfer_completed',
        resource: `transfer:${transferId}`,
        userId: actor.userId,
        details: transferDetails(await ownTransfer(db, actor.userId, transferId)),
      },
      write:
        error.code === 'insufficient_funds'
          ? async (tx) => {
              await tx
                .updateTable('transfers')
                .set({ failure_reason: error.code })
                .where('id', '=', transferId)
                .where('from_user_id', '=', actor.userId)
                .where('status', '=', 'pending')
                .execute();
            }
          : undefined,
    }),
  );
}

/** cancelTransfer in its own transaction; a refusal (not pending any more, not the sender's) is recorded as `transfer_cancelled` failure. */
export function attemptCancelTransfer(db: Kysely<Database>, actor: Actor, transferId: string) {
  return withRefusalRecorded(
    db,
    actor,
    (tx) => cancelTransfer(tx, actor, transferId),
    async () => ({
      fact: {
        action: 'transfer_cancelled',
        resource: `transfer:${transferId}`,
        userId: actor.userId,
        details: transferDetails(await ownTransfer(db, actor.userId, transferId)),
      },
    }),
  );
}

function transferViews(db: Executor) {
  return db
    .selectFrom('transfers as t')
    .innerJoin('users as f', 'f.id', 't.from_user_id')
    .innerJoin('users as r', 'r.id', 't.to_user_id')
    .select([
      't.id',
      't.kind',
      't.from_user_id',
      't.to_user_id',
      't.amount_cents',
      't.note',
      't.status',
      't.failure_reason',
      't.created_at',
      't.completed_at',
      'f.email as from_email',
      'f.name as from_name',
      'r.email as to_email',
      'r.name as to_name',
    ]);
}

type TransferRow = Awaited<ReturnType<ReturnType<typeof transferViews>['executeTakeFirstOrThrow']>>;

function toView(row: TransferRow, viewerId: string): TransferView {
  return {
    id: row.id,
    kind: row.kind,
    direction: row.from_user_id === viewerId ? 'sent' : 'received',
    from: { id: row.from_user_id, email: row.from_email, name: row.from_name },
    to: { id: row.to_user_id, email: row.to_email, name: row.to_name },
    amountCents: row.amount_cents,
    note: row.note,
    status: row.status,
    failureReason: row.failure_reason,
    createdAt: new Date(row.created_at).toISOString(),
    completedAt: row.completed_at === null ? null : new Date(row.completed_at).toISOString(),
  };
}

export async function getTransferView(db: Executor, viewerId: string, transferId: string): Promise<TransferView> {
  return toView(await transferViews(db).where('t.id', '=', transferId).executeTakeFirstOrThrow(), viewerId);
}

/**
 * A user's transfers, newest first: everything they sent (pending, refused and cancelled ones too, with the
 * reason), and of what was sent to them only the money that moved (completed).
 */
export async function listTransfers(db: Executor, userId: string, limit = 50): Promise<TransferView[]> {
  const rows = await transferViews(db)
    .where((eb) => eb.or([eb('t.from_user_id', '=', userId), eb.and([eb('t.to_user_id', '=', userId), eb('t.status', '=', 'completed')])]))
    .orderBy('t.created_at', 'desc')
    .orderBy('t.id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((row) => toView(row, userId));
}
