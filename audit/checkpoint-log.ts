import {
  ATTR_AUDIT_CHECKPOINT_INTERVAL_SECONDS,
  ATTR_AUDIT_CHECKPOINT_TREE_SIZE,
  ATTR_AUDIT_ENTRY_ID,
  ATTR_AUDIT_ENTRY_PROBLEM,
  EVENT_AUDIT_CHECKPOINT,
  EVENT_AUDIT_CHECKPOINT_CURRENT,
  EVENT_AUDIT_CHECKPOINT_REFUSED,
  EVENT_AUDIT_VERIFY_FAILED,
  getLogger,
  type Logger,
} from '@otel';
import type { AuditCheckpoint } from './checkpoint';
import type { EntryBreak } from './entry-check';

/** The event name of the log record every checkpoint is emitted as (and so, over OTLP, leaves the database). */
export const AUDIT_CHECKPOINT_EVENT = EVENT_AUDIT_CHECKPOINT;
/** The event name of the error logged when a checkpoint is refused because an entry it would cover is not genuine. */
export const AUDIT_CHECKPOINT_REFUSED_EVENT = EVENT_AUDIT_CHECKPOINT_REFUSED;

let checkpointLogger: Logger | undefined;

/**
 * A child of the app's logger (same streams, same redaction, same OTLP path) whose level is fixed at info: a
 * checkpoint is evidence kept outside the database, and LOG_LEVEL=warn must not stop it leaving.
 */
function auditCheckpointLogger(): Logger {
  checkpointLogger ??= getLogger().child({}, { level: 'info' });
  return checkpointLogger;
}

/**
 * One log record per checkpoint, whatever LOG_LEVEL says, with everything needed to check it later (`audit:verify
 * --checkpoints`) and the time-based interval (`intervalMs`, AUDIT_CHECKPOINT_SECONDS), which the alert processor's
 * staleness check reads.
 */
export function logAuditCheckpoint(checkpoint: AuditCheckpoint, intervalMs: number): void {
  auditCheckpointLogger().info(
    {
      'event.name': AUDIT_CHECKPOINT_EVENT,
      [ATTR_AUDIT_CHECKPOINT_INTERVAL_SECONDS]: Math.round(intervalMs / 1000),
      [ATTR_AUDIT_CHECKPOINT_TREE_SIZE]: checkpoint.treeSize,
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
      [ATTR_AUDIT_CHECKPOINT_TREE_SIZE]: treeSize,
      [ATTR_AUDIT_ENTRY_ID]: entryBreak.id,
      [ATTR_AUDIT_ENTRY_PROBLEM]: entryBreak.reason,
    },
    `audit checkpoint of ${treeSize} entries refused: ${entryBreak.message} (${entryBreak.reason}); run npm run audit:verify`,
  );
}

/**
 * The time-based timer found the chain head already covered by a signed checkpoint (nothing new to sign, or another
 * process signed it): said at info whatever LOG_LEVEL says, so that a quiet chain is not mistaken for a stopped
 * checkpointer. `treeSize` is the head's entry count.
 */
export function logAuditCheckpointCurrent(treeSize: number, intervalMs: number): void {
  auditCheckpointLogger().info(
    {
      'event.name': EVENT_AUDIT_CHECKPOINT_CURRENT,
      [ATTR_AUDIT_CHECKPOINT_INTERVAL_SECONDS]: Math.round(intervalMs / 1000),
      [ATTR_AUDIT_CHECKPOINT_TREE_SIZE]: treeSize,
    },
    `${EVENT_AUDIT_CHECKPOINT_CURRENT}: the newest signed checkpoint covers all ${treeSize} entries`,
  );
}

/** A verification of the whole chain found it broken: at error level (alerted as `audit_chain_broken`), with the first broken entry. */
export function logAuditVerifyFailed(logger: Logger, entryBreak: { id: number; reason: string; message: string }, checkedBy: string): void {
  logger.error(
    {
      'event.name': EVENT_AUDIT_VERIFY_FAILED,
      [ATTR_AUDIT_ENTRY_ID]: entryBreak.id,
      [ATTR_AUDIT_ENTRY_PROBLEM]: entryBreak.reason,
      'audit.verified_by': checkedBy,
    },
    `audit chain verification failed at entry ${entryBreak.id}: ${entryBreak.message} (${entryBreak.reason}); run npm run audit:verify`,
  );
}
