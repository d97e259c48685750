// The chain's SHA-256, for JavaScript and as a SQL function for SQLite (PostgreSQL has sha256() built in).
// Plain JavaScript because the verifier's worker threads (verify-worker.mjs) load it as it is, without the
// TypeScript loader that tsx or a bundler gives the rest of the module; its types are in sql-functions.d.mts.
import crypto from 'node:crypto';

/** The SQL name of sha256Hex on SQLite connections. */
export const AUDIT_SHA256_SQL_FUNCTION = 'audit_sha256_hex';

/** SHA-256 (hex) of a text's UTF-8 bytes. One-shot crypto.hash: several times faster than createHash() here. */
export function sha256Hex(text) {
  return crypto.hash('sha256', text, 'hex');
}

/** Adds `audit_sha256_hex(text)` to a better-sqlite3 connection, so the chain can be checked inside SQL. */
export function registerAuditSqliteFunctions(database) {
  database.function(AUDIT_SHA256_SQL_FUNCTION, { deterministic: true }, (text) => (typeof text === 'string' ? sha256Hex(text) : null));
}
