import type { Kysely } from 'kysely';
import { logAuditCheckpoint } from './checkpoint-log';
import { toAuditCheckpoint, type AuditCheckpoint, type AuditCheckpointer } from './checkpoint';
import { signCheckedCheckpoints } from './checkpoint-sign';
import { auditDb, type AuditTables } from './schema';

/**
 * Signs a checkpoint of the chain head in its own transaction if the head has moved past the newest checkpoint
 * (by any process) and every entry since that checkpoint is genuine (signCheckedCheckpoints); resolves with it, or
 * undefined when there was nothing new or the checkpoint was refused. The head row is locked, so the
 * checkpoint names an entry no writer is chaining onto at that moment. Logged (and handed to onCheckpoint) after
 * the commit, like the checkpoints writers take.
 */
export async function checkpointAuditHead<DB extends AuditTables>(
  database: Kysely<DB>,
  checkpointer: AuditCheckpointer,
): Promise<AuditCheckpoint | undefined> {
  const now = Date.now();
  const row = await auditDb(database)
    .transaction()
    .execute(async (tx) => {
      const head = await tx
        .updateTable('audit_chain_head')
        .set((eb) => ({ last_id: eb('last_id', '+', 0) }))
        .where('id', '=', 1)
        .returning(['last_id', 'last_hash'])
        .executeTakeFirstOrThrow(() => new Error('audit_chain_head is missing: run the audit_log migration'));
      const treeSize = Number(head.last_id);
      if (treeSize === 0) return undefined;
      const [checkpoint] = await signCheckedCheckpoints(tx, checkpointer, [{ treeSize, headHash: head.last_hash }], now);
      return checkpoint;
    });
  if (!row) return undefined;
  checkpointer.taken(now);
  const signed = toAuditCheckpoint(row);
  logAuditCheckpoint(signed);
  checkpointer.policy.onCheckpoint?.(signed);
  return signed;
}

/**
 * Time-based checkpoints that need no traffic: every `policy.everyMs`, a checkpoint of the head if it moved.
 * Returns a stop function; the timer does not keep the process alive. A failed run is reported and the next one
 * tries again.
 */
export function startAuditCheckpointTimer<DB extends AuditTables>(
  database: Kysely<DB>,
  checkpointer: AuditCheckpointer,
  onError: (error: unknown) => void,
): () => void {
  const timer = setInterval(() => {
    checkpointAuditHead(database, checkpointer).catch(onError);
  }, checkpointer.policy.everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
