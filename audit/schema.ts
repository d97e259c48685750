import type { Kysely, Selectable } from 'kysely';
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

/** The tables the audit module owns; an app's Kysely `Database` interface extends this. */
export interface AuditTables {
  audit_log: AuditLogTable;
  audit_chain_head: AuditChainHeadTable;
}

export type AuditRow = Selectable<AuditLogTable>;

/**
 * Kysely's database type is invariant, so an app's `Kysely<Database>` (Database extends AuditTables) is not a
 * `Kysely<AuditTables>`; the module's functions take the app's type and narrow it here.
 */
export function auditDb<DB extends AuditTables>(db: Kysely<DB>): Kysely<AuditTables> {
  return db as unknown as Kysely<AuditTables>;
}
