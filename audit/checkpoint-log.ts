import { getLogger } from '@otel';
import type { AuditCheckpoint } from './checkpoint';

/** The event name of the log record every checkpoint is emitted as (and so, over OTLP, leaves the database). */
export const AUDIT_CHECKPOINT_EVENT = 'audit.checkpoint';

/** One log record per checkpoint, with everything needed to check it later (`audit:verify --checkpoints`). */
export function logAuditCheckpoint(checkpoint: AuditCheckpoint): void {
  getLogger().info(
    {
      'event.name': AUDIT_CHECKPOINT_EVENT,
      'audit.checkpoint.tree_size': checkpoint.treeSize,
      'audit.checkpoint.head_hash': checkpoint.headHash,
      'audit.checkpoint.timestamp': checkpoint.timestamp,
      'audit.checkpoint.key_id': checkpoint.keyId,
      'audit.checkpoint.signature': checkpoint.signature,
    },
    `${AUDIT_CHECKPOINT_EVENT}: ${checkpoint.treeSize} entries, head ${checkpoint.headHash}`,
  );
}
