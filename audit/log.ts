import { trace } from '@opentelemetry/api';
import type { Transaction } from 'kysely';
import { currentRequestId, currentTraceIds, addAuditSpanEvent } from '@otel';
import type { AuditAction, AuditOutcome } from './actions';
import { linkAuditEntries, storableText } from './chain';
import { redactDetails, type AuditDetails } from './details';
import { auditDb, type AuditRow, type AuditTables } from './schema';
import { logAuditCheckpoint } from './checkpoint-log';
import { toAuditCheckpoint, type AuditCheckpointer } from './checkpoint';
import { signCheckedCheckpoints } from './checkpoint-sign';
import { macAuditEntry, type AuditMacKeys } from './entry-mac';
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
  /** Authenticates the entry (its `mac`) with a key that is not in the database; the app always gives it. */
  macKeys?: AuditMacKeys;
}

export type ChainOptions = Pick<AppendOptions, 'checkpointer' | 'macKeys'>;

const MAX_USER_AGENT = 512;

const nullableText = (value: string | null) => (value === null ? null : storableText(value));

/** An entry's fields before it is chained: everything but its id, prev_hash and hash. */
export type UnchainedFields = Omit<AuditRow, 'id' | 'prev_hash' | 'hash' | 'mac'>;

/**
 * The stored form of an input: text made storable, details redacted, personal data encrypted with the user's key
 * (keyring given), stamped with the active span's trace and span id.
 */
export async function unchainedFields<DB extends AuditTables>(
  transaction: Transaction<DB>,
  input: AuditInput,
  keyring: AuditKeyring | undefined,
): Promise<UnchainedFields> {
  const userId = nullableText(input.userId);
  let ip = nullableText(input.ip);
  let userAgent = nullableText(input.userAgent?.slice(0, MAX_USER_AGENT) ?? null);
  let details = redactDetails(input.details);
  if (keyring && userId !== null) {
    const key = await userKeyForWriting(transaction, keyring, userId);
    if (ip !== null) ip = sealField(key, userId, ip);
    if (userAgent !== null) userAgent = sealField(key, userId, userAgent);
    details = JSON.stringify(sealDetails(key, userId, JSON.parse(details) as Record<string, unknown>));
  }
  const span = currentTraceIds();
  return {
    timestamp: Date.now(),
    user_id: userId,
    action: input.action,
    resource: storableText(input.resource),
    outcome: input.outcome ?? 'success',
    details,
    ip_address: ip,
    user_agent: userAgent,
    request_id: currentRequestId() ?? null,
    span_id: span?.spanId ?? null,
  };
}

/**
 * Chains entries onto the head inside the transaction: locks the chain head row (an UPDATE: a row lock on
 * PostgreSQL, the write lock on SQLite) so the chain never forks, numbers and hashes the entries in order — each
 * dated no earlier than the entry before it, so timestamps never go backwards whatever the clocks of the writing
 * processes say —, authenticates them (macKeys), inserts them and moves the head. Signs a checkpoint at each entry
 * that makes one due, once the entries since the previous checkpoint are checked; each is logged after the commit.
 */
export async function chainAuditEntries<DB extends AuditTables>(
  transaction: Transaction<DB>,
  entries: readonly UnchainedFields[],
  afterCommit: AfterCommit,
  options: ChainOptions = {},
): Promise<AuditRow[]> {
  const { checkpointer, macKeys } = options;
  const tx = auditDb(transaction);
  const head = await tx
    .updateTable('audit_chain_head')
    .set((eb) => ({ last_id: eb('last_id', '+', entries.length) }))
    .where('id', '=', 1)
    .returning(['last_id', 'last_hash'])
    .executeTakeFirstOrThrow(() => new Error('audit_chain_head is missing: run the audit_log migration'));
  if (entries.length === 0) return [];

  let id = Number(head.last_id) - entries.length;
  const previous = id > 0 ? await tx.selectFrom('audit_log').select('timestamp').where('id', '=', id).executeTakeFirst() : undefined;
  let prevTimestamp = previous ? Number(previous.timestamp) : 0;
  const numbered = entries.map((entry) => {
    prevTimestamp = Math.max(entry.timestamp, prevTimestamp);
    return { ...entry, id: ++id, timestamp: prevTimestamp };
  });
  const rows = linkAuditEntries(head.last_hash, numbered).map((row): AuditRow => ({
    ...row,
    mac: macKeys ? macAuditEntry(macKeys, row.id, row.hash) : null,
  }));
  const last = rows.at(-1)!;
  await tx.insertInto('audit_log').values(rows).execute();
  await tx.updateTable('audit_chain_head').set({ last_hash: last.hash }).where('id', '=', 1).execute();

  if (checkpointer) {
    const due = rows.filter((row) => row.id % checkpointer.policy.everyEntries === 0);
    if (due.at(-1) !== last && checkpointer.due(last.id, last.timestamp)) due.push(last);
    const now = Date.now();
    const heads = checkpointer.refusal ? [] : due.map((row) => ({ treeSize: row.id, headHash: row.hash }));
    const checkpoints = await signCheckedCheckpoints(transaction, checkpointer, heads, now);
    if (checkpoints.length > 0) {
      afterCommit(() => {
        checkpointer.taken(now);
        for (const checkpoint of checkpoints) {
          const signed = toAuditCheckpoint(checkpoint);
          logAuditCheckpoint(signed, checkpointer.policy.everyMs);
          checkpointer.policy.onCheckpoint?.(signed);
        }
      });
    }
  }
  return rows;
}

/**
 * Appends one entry inside the caller's transaction, so it commits or rolls back with the domain write.
 *
 * The chain head row is locked (chainAuditEntries), so concurrent writers append one after the other; the lock
 * is held until the caller's transaction ends, so write the audit entry last. The request id is the active span's
 * trace id. The `audit.<action>` span event is handed to `afterCommit`, so a rolled back action leaves no event
 * either. With a keyring, personal data is encrypted with the user's key (the hash covers the ciphertext); with a
 * checkpointer, a signed checkpoint of the new head is written in the same transaction when one is due.
 */
export async function appendAuditEntry<DB extends AuditTables>(
  transaction: Transaction<DB>,
  input: AuditInput,
  afterCommit: AfterCommit,
  options: AppendOptions = {},
): Promise<AuditRow> {
  // Before the chain lock, so the lock is held no longer than it must be.
  const fields = await unchainedFields(transaction, input, options.keyring);
  const [row] = await chainAuditEntries(transaction, [fields], afterCommit, options);
  const span = trace.getActiveSpan();
  if (span) afterCommit(() => addAuditSpanEvent(span, row!));
  return row!;
}
