import crypto from 'node:crypto';
import type { AuditRow } from './audit-schema';

/** The `prev_hash` of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** Bumped if the serialization below ever changes; part of every hashed text. */
const CHAIN_VERSION = 'drop-audit-v1';

export type HashedFields = Omit<AuditRow, 'hash'>;

/**
 * The canonical text of an entry: a JSON array with every column in a fixed order. Values are integers, strings
 * or null (details is already JSON text), so the encoding is unambiguous and the same in every runtime.
 */
export function canonicalAuditText(row: HashedFields): string {
  return JSON.stringify([
    CHAIN_VERSION,
    row.id,
    row.timestamp,
    row.user_id,
    row.action,
    row.resource,
    row.outcome,
    row.details,
    row.ip_address,
    row.user_agent,
    row.request_id,
    row.span_id,
    row.prev_hash,
  ]);
}

/** SHA-256 (hex) over the canonical text, `prev_hash` included: the link to the previous entry. */
export function hashAuditEntry(row: HashedFields): string {
  return crypto.createHash('sha256').update(canonicalAuditText(row)).digest('hex');
}
