import { trace } from '@opentelemetry/api';
import type { Transaction } from 'kysely';
import { currentTraceIds } from '../otel/trace-context';
import type { AuditAction, AuditOutcome } from './actions';
import { hashAuditEntry, storableText } from './chain';
import { redactDetails, type AuditDetails } from './details';
import { auditDb, type AuditRow, type AuditTables } from './schema';
import { addAuditSpanEvent } from '../otel/audit-span-event';
import { logAuditCheckpoint } from './checkpoint-log';
import { signCheckpoint, toAuditCheckpoint, type AuditCheckpointer } from './checkpoint';
import { sealDetails, sealField, userKeyForWriting, type AuditKeyring } from './personal-data';

export interface AuditInput {
  action: AuditAction;
  /** `type:id`, e.g. `session:7c1e…`. */
  resource: string;
  outcome?: AuditOutcome;
  /** Null when no user is known (a failed login for an unknown email). */
  userId: string | null;
  /** Ids, amounts, reasons; passed through the redaction policy before they are stored. */
  details?: AuditDetails;
  ip: string | null;
  userAgent: string | null;
}

/** Runs a callback once the caller's transaction has committed (never when it rolls back). */
export type AfterCommit = (callback: () => void) => void;

export interface AppendOptions {
  /** Encrypts the entry's personal data (ip, user agent, personal details) with the user's key. */
  keyring?: AuditKeyring;
  /** Signs a checkpoint of the chain in the same transaction when one is due. */
  checkpointer?: AuditCheckpointer;
}

const MAX_USER_AGENT = 512;

const nullableText = (value: string | null) => (value === null ? null : storableText(value));

/**
 * Appends one entry inside the caller's transaction, so it commits or rolls back with the domain write.
 *
 * The chain head row is locked first (an UPDATE: a row lock on PostgreSQL, the write lock on SQLite), so
 * concurrent writers append one after the other and the chain never forks; the lock is held until the caller's
 * transaction ends, so write the audit entry last. The request id is the active span's trace id. The
 * `audit.<action>` span event is handed to `afterCommit`, so a rolled back action leaves no event either.
 * With a keyring, personal data is encrypted with the user's key (the hash covers the ciphertext); with a
 * checkpointer, a signed checkpoint of the new head is written in the same transaction when one is due.
 */
export async function appendAuditEntry<DB extends AuditTables>(
  transaction: Transaction<DB>,
  input: AuditInput,
  afterCommit: AfterCommit,
  options: AppendOptions = {},
): Promise<AuditRow> {
  const tx = auditDb(transaction);
  const userId = nullableText(input.userId);
  let ip = nullableText(input.ip);
  let userAgent = nullableText(input.userAgent?.slice(0, MAX_USER_AGENT) ?? null);
  let details = redactDetails(input.details);
  // Before the chain lock, so the lock is held no longer than it was.
  if (options.keyring && userId !== null) {
    const key = await userKeyForWriting(transaction, options.keyring, userId);
    if (ip !== null) ip = sealField(key, userId, ip);
    if (userAgent !== null) userAgent = sealField(key, userId, userAgent);
    details = JSON.stringify(sealDetails(key, userId, JSON.parse(details) as Record<string, unknown>));
  }

  const head = await tx
    .updateTable('audit_chain_head')
    .set((eb) => ({ last_id: eb('last_id', '+', 1) }))
    .where('id', '=', 1)
    .returning(['last_id', 'last_hash'])
    .executeTakeFirstOrThrow(() => new Error('audit_chain_head is missing: run the audit_log migration'));

  const ids = currentTraceIds();
  const fields = {
    id: Number(head.last_id),
    timestamp: Date.now(),
    user_id: userId,
    action: input.action,
    resource: storableText(input.resource),
    outcome: input.outcome ?? 'success',
    details,
    ip_address: ip,
    user_agent: userAgent,
    request_id: ids?.traceId ?? null,
    span_id: ids?.spanId ?? null,
    prev_hash: head.last_hash,
  };
  const row: AuditRow = { ...fields, hash: hashAuditEntry(fields) };
  await tx.insertInto('audit_log').values(row).execute();
  await tx.updateTable('audit_chain_head').set({ last_hash: row.hash }).where('id', '=', 1).execute();

  const { checkpointer } = options;
  if (checkpointer?.due(row.id, row.timestamp)) {
    const checkpoint = signCheckpoint(checkpointer.policy.signer, row.id, row.hash, row.timestamp);
    await tx.insertInto('audit_checkpoints').values(checkpoint).execute();
    afterCommit(() => {
      checkpointer.taken(checkpoint.timestamp);
      const signed = toAuditCheckpoint(checkpoint);
      logAuditCheckpoint(signed);
      checkpointer.policy.onCheckpoint?.(signed);
    });
  }

  const span = trace.getActiveSpan();
  if (span) afterCommit(() => addAuditSpanEvent(span, row));
  return row;
}
