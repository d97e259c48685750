import type { Generated, Kysely, Selectable } from 'kysely';
import type { AuditAction, AuditOutcome } from './actions';

/**
 * One audit entry as stored. Append-only (triggers reject UPDATE, DELETE and TRUNCATE) and hash-chained:
 * `hash` covers every other column and `prev_hash`, the `hash` of the entry with id - 1.
 */
export interface AuditLogTable {
  /** 1, 2, 3, … without gaps: the chain order. */
  id: number;
  /** UTC epoch milliseconds. */
  timestamp: number;
  /** Null when no user is known (a failed login for an unknown email). */
  user_id: string | null;
  action: AuditAction;
  /** `type:id`, e.g. `transfer:3f2c…`. */
  resource: string;
  outcome: AuditOutcome;
  /** JSON object text, already passed through the redaction policy. */
  details: string;
  ip_address: string | null;
  user_agent: string | null;
  /** The trace id of the request that wrote the entry (null outside a traced request). */
  request_id: string | null;
  span_id: string | null;
  prev_hash: string;
  hash: string;
  /**
   * `<key id>:<HMAC-SHA-256>` over id and hash under a key outside the database (audit/entry-mac.ts); null for
   * entries written before entries were authenticated.
   */
  mac: string | null;
}

/**
 * The single row (id = 1) that names the newest entry. Writers lock it to append one at a time, so the chain
 * never forks; `audit:verify` compares it with the newest row, so deleting entries from the end shows.
 */
export interface AuditChainHeadTable {
  id: number;
  last_id: number;
  last_hash: string;
}

/** A signed statement: the chain had `tree_size` entries and the newest one's hash was `head_hash`. */
export interface AuditCheckpointsTable {
  tree_size: number;
  head_hash: string;
  /** UTC epoch milliseconds. */
  timestamp: number;
  /** The signing key's JWK thumbprint (RFC 7638). */
  key_id: string;
  /** Ed25519 over the checkpoint's canonical text, base64url. */
  signature: string;
}

/** One key per user for the personal data in their entries; `wrapped_key` is null once erased. */
export interface AuditUserKeysTable {
  user_id: string;
  /** AES-256-GCM key wrapped (AES-256-GCM) by the master key, base64url; null after erasure. */
  wrapped_key: string | null;
  created_at: number;
  erased_at: number | null;
  /** Why erasure is refused for now (a legal hold), or null. */
  legal_hold: string | null;
}

/** An entry committed with its domain write, waiting for the sequencer to chain it (AUDIT_WRITE_MODE=sequenced). */
export interface AuditPendingTable {
  seq: Generated<number>;
  /** The process that will seal it; another one takes it over when it is left behind. */
  sealer: string;
  timestamp: number;
  user_id: string | null;
  action: AuditAction;
  resource: string;
  outcome: AuditOutcome;
  details: string;
  ip_address: string | null;
  user_agent: string | null;
  request_id: string | null;
  span_id: string | null;
  /** Random, once per entry: the sealer chains an entry with a given nonce once (audit_sealed_nonces). */
  nonce: string | null;
  /** `<key id>:<HMAC-SHA-256>` by the app over the fields and the nonce (audit/pending-mac.ts); checked before sealing. */
  mac: string | null;
}

/** A queued entry the sealer refused to chain (its MAC is not the app's, or it repeats a sealed nonce), kept for investigation. */
export interface AuditPendingRefusedTable extends Omit<AuditPendingTable, 'seq'> {
  /** Its `seq` in audit_pending. */
  seq: number;
  /** UTC epoch milliseconds. */
  refused_at: number;
  /** `missing`, `unknown_key`, `mismatch` or `replayed` (audit/pending-refusal.ts). */
  problem: string;
}

/** The nonce of every queued entry sealed so far, with the id it got: a copy of a queued entry is refused. */
export interface AuditSealedNoncesTable {
  nonce: string;
  entry_id: number;
}

/** The tables the audit module owns; an app's Kysely `Database` interface extends this. */
export interface AuditTables {
  audit_log: AuditLogTable;
  audit_chain_head: AuditChainHeadTable;
  audit_checkpoints: AuditCheckpointsTable;
  audit_user_keys: AuditUserKeysTable;
  audit_pending: AuditPendingTable;
  audit_pending_refused: AuditPendingRefusedTable;
  audit_sealed_nonces: AuditSealedNoncesTable;
}

export type AuditRow = Selectable<AuditLogTable>;
export type AuditCheckpointRow = Selectable<AuditCheckpointsTable>;

/**
 * Kysely's database type is invariant, so an app's `Kysely<Database>` (Database extends AuditTables) is not a
 * `Kysely<AuditTables>`; the module's functions take the app's type and narrow it here.
 */
export function auditDb<DB extends AuditTables>(db: Kysely<DB>): Kysely<AuditTables> {
  return db as unknown as Kysely<AuditTables>;
}
