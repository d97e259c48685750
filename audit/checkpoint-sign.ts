import type { Transaction } from 'kysely';
import { logAuditCheckpointRefused } from './checkpoint-log';
import { signCheckpoint, type AuditCheckpointer } from './checkpoint';
import { checkEntriesBeforeCheckpoint } from './entry-check';
import { auditDb, type AuditCheckpointRow, type AuditTables } from './schema';

/**
 * Signs and stores checkpoints of the given heads (tree size and head hash, oldest first) inside the transaction
 * that holds the chain lock — but only after every entry since the newest stored checkpoint has been checked in
 * full (checkEntriesBeforeCheckpoint): a checkpoint never vouches for an entry the app did not write. On a failed
 * check nothing is signed, the checkpointer remembers the refusal and the refusal is logged.
 */
export async function signCheckedCheckpoints<DB extends AuditTables>(
  transaction: Transaction<DB>,
  checkpointer: AuditCheckpointer,
  heads: readonly { treeSize: number; headHash: string }[],
  nowMs: number,
): Promise<AuditCheckpointRow[]> {
  if (heads.length === 0 || checkpointer.refusal) return [];
  const tx = auditDb(transaction);
  const newest = await tx
    .selectFrom('audit_checkpoints')
    .select((eb) => eb.fn.max('tree_size').as('size'))
    .executeTakeFirst();
  const covered = Number(newest?.size ?? 0);
  const fresh = heads.filter((head) => head.treeSize > covered);
  if (fresh.length === 0) return [];
  const upTo = fresh.at(-1)!.treeSize;
  const entryBreak = await checkEntriesBeforeCheckpoint(transaction, covered, upTo, checkpointer.policy.macKeys);
  if (entryBreak) {
    checkpointer.refuse(entryBreak);
    logAuditCheckpointRefused(upTo, entryBreak);
    return [];
  }
  const rows = fresh.map((head) => signCheckpoint(checkpointer.policy.signer, head.treeSize, head.headHash, nowMs));
  await tx.insertInto('audit_checkpoints').values(rows).execute();
  return rows;
}
