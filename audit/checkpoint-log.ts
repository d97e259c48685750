import { getLogger, type Logger } from '@otel';
import type { AuditCheckpoint } from './checkpoint';
import type { EntryBreak } from './entry-check';

/** The event name of the log record every checkpoint is emitted as (and so, over OTLP, leaves the database). */
export const AUDIT_CHECKPOINT_EVENT = 'audit.checkpoint';
/** The event name of the error logged when a checkpoint is refused because an entry it would cover is not genuine. */
export const AUDIT_CHECKPOINT_REFUSED_EVENT = 'audit.checkpoint_refused';

let checkpointLogger: Logger | undefined;

/**
 * A child of the app's logger (same streams, same redaction, same OTLP path) whose level is fixed at info: a
 * checkpoint is evidence kept outside the database, and LOG_LEVEL=warn must not stop it leaving.
 */
function auditCheckpointLogger(): Logger {
  checkpointLogger ??= getLogger().child({}, { level: 'info' });
  return checkpointLogger;
}

/** One log record per checkpoint, whatever LOG_LEVEL says, with everything needed to check it later (`audit:verify --checkpoints`). */
export function logAuditCheckpoint(checkpoint: AuditCheckpoint): void {
  auditCheckpointLogger().info(
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

/**
 * The checkpointer would have signed over an entry the app did not write (or one changed since): it refuses, and says
 * so at error level (alerted like every error) with the entry and the reason. No checkpoint is signed from then on.
 */
export function logAuditCheckpointRefused(treeSize: number, entryBreak: EntryBreak): void {
  getLogger().error(
    {
      'event.name': AUDIT_CHECKPOINT_REFUSED_EVENT,
      'audit.checkpoint.tree_size': treeSize,
      'audit.entry.id': entryBreak.id,
      'audit.entry.problem': entryBreak.reason,
    },
    `audit checkpoint of ${treeSize} entries refused: ${entryBreak.message} (${entryBreak.reason}); run npm run audit:verify`,
  );
}
