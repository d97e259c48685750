import { sql, type Kysely, type RawBuilder } from 'kysely';
import { GENESIS_HASH, canonicalAuditSql } from './chain';
import type { AuditSqlDialect } from './migration';
import type { AuditTables } from './schema';
import { AUDIT_SHA256_SQL_FUNCTION } from './sql-functions.mjs';

/**
 * What is wrong with an entry, in the order the verifier looks: `gap` — the entry with the id before it is missing;
 * `link` — its prev_hash is not that entry's hash; `hash` — its hash does not match its fields.
 */
export type EntryProblem = 'gap' | 'link' | 'hash';

/** One range of ids, checked by the database in one statement. */
export interface RangeCheck {
  /** The first entry of the range that breaks the chain, and its first problem. */
  firstBroken: { id: number; problem: EntryProblem } | null;
  /** The newest entry of the range; null when the range holds none. */
  newest: { id: number; hash: string } | null;
}

/** Checks ranges of ids; `parallelism` ranges at once. */
export interface RangeChecker {
  readonly parallelism: number;
  check(fromId: number, toId: number): Promise<RangeCheck>;
  close(): Promise<void>;
}

export interface RangeCheckRow {
  kind: 'broken' | 'newest';
  id: number;
  gap: number;
  linked: number;
  hash: string | null;
}

const genesis = sql.lit(GENESIS_HASH);

/**
 * PostgreSQL: the previous entry through lag() over the id order (the entry before the range by an index lookup),
 * SHA-256 by the server. It reads the range once in index order and stops at the first broken entry.
 */
function postgresRangeCheck(fromId: number, toId: number): RawBuilder<RangeCheckRow> {
  const before = (column: string) =>
    sql`(select ${sql.ref(`p.${column}`)} from audit_log p where p.id > 0 and p.id < ${fromId} order by p.id desc limit 1)`;
  return sql<RangeCheckRow>`with entries as (
  select id, prev_hash, hash, ${canonicalAuditSql()} as canonical,
    coalesce(lag(id) over w, ${before('id')}, 0) as previous_id,
    coalesce(lag(hash) over w, ${before('hash')}, ${genesis}) as previous_hash
  from audit_log where id between ${fromId} and ${toId}
  window w as (order by id)
)
(select 'broken' as kind, id, case when previous_id <> id - 1 then 1 else 0 end as gap,
  case when prev_hash = previous_hash then 1 else 0 end as linked, null as hash
from entries
where previous_id <> id - 1 or prev_hash <> previous_hash or encode(sha256(convert_to(canonical, 'UTF8')), 'hex') <> hash
order by id limit 1)
union all
(select 'newest', id, 0, 1, hash from audit_log where id between ${fromId} and ${toId} order by id desc limit 1)`;
}

/**
 * SQLite: the previous entry by a primary-key lookup (id - 1; SQLite's window functions cost more than the lookup),
 * SHA-256 by the `audit_sha256_hex` function the connection was given (registerAuditSqliteFunctions).
 */
function sqliteRangeCheck(fromId: number, toId: number): RawBuilder<RangeCheckRow> {
  const sha256 = sql.raw(AUDIT_SHA256_SQL_FUNCTION);
  return sql<RangeCheckRow>`select * from (
  select 'broken' as kind, a.id as id, case when p.id is null and a.id <> 1 then 1 else 0 end as gap,
    case when a.prev_hash = coalesce(p.hash, ${genesis}) then 1 else 0 end as linked, null as hash
  from audit_log a left join audit_log p on p.id = a.id - 1 and p.id > 0
  where a.id between ${fromId} and ${toId}
    and ((p.id is null and a.id <> 1) or a.prev_hash <> coalesce(p.hash, ${genesis}) or ${sha256}(${canonicalAuditSql('a')}) <> a.hash)
  order by a.id limit 1
)
union all
select * from (select 'newest', id, 0, 1, hash from audit_log where id between ${fromId} and ${toId} order by id desc limit 1)`;
}

/** The statement that checks the entries with fromId <= id <= toId, on either database (same columns, same answer). */
export function rangeCheckQuery(dialect: AuditSqlDialect, fromId: number, toId: number): RawBuilder<RangeCheckRow> {
  return dialect === 'postgres' ? postgresRangeCheck(fromId, toId) : sqliteRangeCheck(fromId, toId);
}

export function readRangeCheck(rows: readonly RangeCheckRow[]): RangeCheck {
  const broken = rows.find((row) => row.kind === 'broken');
  const newest = rows.find((row) => row.kind === 'newest');
  const problem: EntryProblem | undefined = broken && (Number(broken.gap) ? 'gap' : Number(broken.linked) ? 'hash' : 'link');
  return {
    firstBroken: broken && problem ? { id: Number(broken.id), problem } : null,
    newest: newest ? { id: Number(newest.id), hash: String(newest.hash) } : null,
  };
}

/** Checks ranges through the app's Kysely connection(s): one statement (and one span) per range. */
export function databaseRangeChecker<DB extends AuditTables>(db: Kysely<DB>, dialect: AuditSqlDialect, parallelism: number): RangeChecker {
  return {
    parallelism,
    async check(fromId, toId) {
      const { rows } = await rangeCheckQuery(dialect, fromId, toId).execute(db);
      return readRangeCheck(rows);
    },
    async close() {},
  };
}
