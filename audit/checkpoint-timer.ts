import type { Kysely } from 'kysely';
import { logAuditCheckpoint, logAuditCheckpointCurrent } from './checkpoint-log';
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
  return (await checkpointHead(database, checkpointer)).signed;
}

/** checkpointAuditHead, also telling the head's size (0: an empty chain). */
async function checkpointHead<DB extends AuditTables>(
  database: Kysely<DB>,
  checkpointer: AuditCheckpointer,
): Promise<{ treeSize: number; signed?: AuditCheckpoint }> {
  const now = Date.now();
  const { treeSize, row } = await auditDb(database)
    .transaction()
    .execute(async (tx) => {
      const head = await tx
        .updateTable('audit_chain_head')
        .set((eb) => ({ last_id: eb('last_id', '+', 0) }))
        .where('id', '=', 1)
        .returning(['last_id', 'last_hash'])
        .executeTakeFirstOrThrow(() => new Error('audit_chain_head is missing: run the audit_log migration'));
      const size = Number(head.last_id);
      if (size === 0) return { treeSize: 0, row: undefined };
      const [checkpoint] = await signCheckedCheckpoints(tx, checkpointer, [{ treeSize: size, headHash: head.last_hash }], now);
      return { treeSize: size, row: checkpoint };
    });
  if (!row) return { treeSize };
  checkpointer.taken(now);
  const signed = toAuditCheckpoint(row);
  logAuditCheckpoint(signed, checkpointer.policy.everyMs);
  checkpointer.policy.onCheckpoint?.(signed);
  return { treeSize, signed };
}

/**
 * Time-based checkpoints that need no traffic: every `policy.everyMs`, a checkpoint of the head if it moved. A run
 * that finds the head already covered says so (`audit.checkpoint_current`), so that the alert processor can tell a
 * quiet chain from a stopped checkpointer; a run after a refusal says nothing (the chain is not covered).
 * Returns a stop function; the timer does not keep the process alive. A failed run is reported and the next one
 * tries again.
 */
export function startAuditCheckpointTimer<DB extends AuditTables>(
  database: Kysely<DB>,
  checkpointer: AuditCheckpointer,
  onError: (error: unknown) => void,
): () => void {
  const timer = setInterval(() => {
    checkpointHead(database, checkpointer)
      .then(({ treeSize, signed }) => {
        if (!signed && checkpointer.refusal === null) logAuditCheckpointCurrent(treeSize, checkpointer.policy.everyMs);
      })
      .catch(onError);
  }, checkpointer.policy.everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
