/**
 * The audit log: an append-only, hash-chained compliance store (PSD2/AML/GDPR), written in the same transaction
 * as the domain action. Its one public entry; the app imports `@audit`, never a file inside this folder.
 * The observability layer only carries its span event (otel/audit-span-event.ts).
 */
export { AUDIT_ACTIONS, AUDIT_OUTCOMES, type AuditAction, type AuditOutcome } from './actions';
export { GENESIS_HASH, hashAuditEntry, linkAuditEntries } from './chain';
export type { AuditDetails } from './details';
export { isAuthenticAuditRow, toAuditEntryView, type AuditEntryView } from './entry';
export { NDJSON_CONTENT_TYPE, auditNdjsonStream, type RevealRows } from './export';
export { appendAuditEntry, type AfterCommit, type AppendOptions, type AuditInput } from './log';
export {
  auditCheckpointer,
  auditSigner,
  checkpointText,
  generateAuditSigningKeyPem,
  jwkThumbprint,
  listAuditCheckpoints,
  verifyCheckpointSignature,
  type AuditCheckpoint,
  type AuditCheckpointer,
  type AuditSigner,
  type CheckpointPolicy,
} from './checkpoint';
export { AUDIT_CHECKPOINT_EVENT, logAuditVerifyFailed } from './checkpoint-log';
export { checkpointAuditHead, startAuditCheckpointTimer } from './checkpoint-timer';
export { verifyAgainstCheckpoints, type CheckpointMismatchReason, type CheckpointStatus } from './checkpoint-verify';
export {
  AuditKeyMismatchError,
  AuditLegalHoldError,
  ERASED,
  PERSONAL_DETAIL_KEYS,
  UNREADABLE,
  checkAuditKeyring,
  eraseAuditUserKey,
  revealAuditRows,
  setAuditLegalHold,
  type AuditKeyring,
  type ErasureResult,
} from './personal-data';
export { auditTrustMigration } from './trust-migration';
export { appendSequencedAuditEntry, auditSequencer, type AfterCommitAsync, type AuditSequencer, type SequencerOptions } from './sequencer';
export { auditLogMigration, type AuditSqlDialect } from './migration';
export { auditMacMigration } from './mac-migration';
export { auditPendingMacMigration } from './pending-mac-migration';
export { AUDIT_PENDING_REFUSED_EVENT } from './pending-refusal';
export { auditMacKeys, macAuditEntry, type AuditMacKeys } from './entry-mac';
export { AUDIT_CHECKPOINT_REFUSED_EVENT } from './checkpoint-log';
export {
  AUDIT_PAGE_MAX,
  decodeAuditCursor,
  encodeAuditCursor,
  listAuditEntries,
  streamAuditEntries,
  type AuditCursor,
  type AuditFilters,
  type AuditPage,
  countAuditEntries,
  findAuditEntry,
} from './query';
export type { AuditCheckpointRow, AuditRow, AuditTables } from './schema';
export { registerAuditSqliteFunctions } from './sql-functions.mjs';
export {
  auditPendingStatus,
  defaultVerifyParallelism,
  verifyAuditChain,
  type ChainBreak,
  type ChainStatus,
  type PendingStatus,
  type VerifyOptions,
} from './verify';
