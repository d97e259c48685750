import { CORRELATION } from '@otel';
import { sql, type RawBuilder } from 'kysely';
import type { AuditRow } from './schema';
import { sha256Hex } from './sql-functions.mjs';

/** The `prev_hash` of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** Bumped if the serialization below ever changes; the first part of every hashed text. */
const CHAIN_VERSION = 'drop-audit-v1';

export type HashedFields = Omit<AuditRow, 'hash' | 'mac'>;

/** The text columns in hashing order (`id` and `timestamp`, integers, come first). */
const TEXT_FIELDS = [
  'user_id',
  'action',
  'resource',
  'outcome',
  'details',
  'ip_address',
  'user_agent',
  CORRELATION.auditColumn,
  'span_id',
  'prev_hash',
] as const;

/** Unicode code points, as SQL's length() counts characters (JavaScript's .length counts UTF-16 units). */
function codePointLength(text: string): number {
  let length = text.length;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) length--;
  }
  return length;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * A string as both databases store it, so what is hashed is what is stored: lone UTF-16 surrogates become U+FFFD
 * (UTF-8 cannot hold them) and NUL characters are dropped (PostgreSQL rejects them, SQLite's length() stops at them).
 */
export function storableText(text: string): string {
  return text.replace(LONE_SURROGATE, '\ufffd').replaceAll('\0', '');
}

const field = (value: string | null) => (value === null ? '-' : `${codePointLength(value)}:${value}`);

/**
 * The canonical text of an entry: version, id and timestamp, then each text column as `<length>:<value>` (or `-`
 * for null), joined by `|`. The length prefixes make it unambiguous whatever the values contain, and it is plain
 * SQL to build (canonicalAuditSql), so the verifier reads one string per entry instead of every column.
 */
export function canonicalAuditText(row: HashedFields): string {
  let text = `${CHAIN_VERSION}|${row.id}|${row.timestamp}`;
  for (const name of TEXT_FIELDS) text += `|${field(row[name])}`;
  return text;
}

/**
 * The same text as canonicalAuditText, built by the database (standard SQL: ||, length, coalesce) from the columns
 * of `table` (a table name or alias; unqualified columns when omitted).
 */
export function canonicalAuditSql(table?: string): RawBuilder<string> {
  const column = (name: string) => sql.ref(table ? `${table}.${name}` : name);
  const parts = TEXT_FIELDS.map((name) => sql`coalesce(length(${column(name)}) || ':' || ${column(name)}, '-')`);
  return sql<string>`${sql.lit(`${CHAIN_VERSION}|`)} || ${column('id')} || '|' || ${column('timestamp')} || '|' || ${sql.join(parts, sql` || '|' || `)}`;
}

/** The entry's hash: SHA-256 over its canonical text, `prev_hash` included (the link to the previous entry). */
export function hashAuditEntry(row: HashedFields): string {
  return sha256Hex(canonicalAuditText(row));
}

/**
 * Chains entries after the entry whose hash is `prevHash`, in order: each one's `prev_hash` is the hash of the one
 * before it, and its `hash` covers its fields and that link.
 */
export function linkAuditEntries<T extends Omit<HashedFields, 'prev_hash'>>(
  prevHash: string,
  entries: readonly T[],
): (T & { prev_hash: string; hash: string })[] {
  return entries.map((entry) => {
    const fields = { ...entry, prev_hash: prevHash };
    prevHash = hashAuditEntry(fields);
    return { ...fields, hash: prevHash };
  });
}
