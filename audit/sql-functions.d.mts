import type { Database } from 'better-sqlite3';

/** The SQL name of sha256Hex on SQLite connections. */
export declare const AUDIT_SHA256_SQL_FUNCTION: 'audit_sha256_hex';

/** SHA-256 (hex) of a text's UTF-8 bytes. */
export declare function sha256Hex(text: string): string;

/** Adds `audit_sha256_hex(text)` to a better-sqlite3 connection, so the chain can be checked inside SQL. */
export declare function registerAuditSqliteFunctions(database: Database): void;
