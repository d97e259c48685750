import os from 'node:os';
import { sql, type Kysely } from 'kysely';
import { GENESIS_HASH } from './chain';
import type { AuditSqlDialect } from './migration';
import { databaseRangeChecker, type RangeCheck, type RangeChecker } from './range-check';
import { GENESIS_ANCHOR, entryAuthProblem, type EntryAnchor } from './entry-check';
import type { AuditMacKeys } from './entry-mac';
import { auditDb, type AuditTables } from './schema';
import { sqliteWorkerRangeChecker } from './verify-workers';

export type ChainBreakReason =
  /** The stored hash does not match the entry's fields: a field was changed. */
  | 'hash_mismatch'
  /** prev_hash does not name the previous entry: entries were removed, reordered or put in between. */
  | 'prev_hash_mismatch'
  /** An id is missing from the sequence (ids are gapless): an entry was deleted. */
  | 'missing_entry'
  /** An entry after the one the chain head names: it was added outside the writer. */
  | 'not_in_head'
  /** The chain head names a different newest entry than the table holds. */
  | 'head_mismatch'
  /** The entry's MAC is missing or wrong (macKeys given): it was not written by the app. */
  | 'unauthenticated'
  /** The entry is dated before the one before it: written outside the writer, or backdated. */
  | 'timestamp_backwards';

export interface ChainBreak {
  id: number;
  reason: ChainBreakReason;
  message: string;
}

export interface ChainStatus {
  ok: boolean;
  /** Entries checked (all of them when ok). */
  entries: number;
  /** The newest entry checked, and its hash: the value to anchor elsewhere. */
  lastId: number;
  lastHash: string;
  firstBroken: ChainBreak | null;
  durationMs: number;
  /**
   * Entries committed to `audit_pending` (AUDIT_WRITE_MODE=sequenced) and not yet sealed into the chain: not
   * tamper-evident until they are. A few for milliseconds is normal; old ones mean no process sealed them.
   */
  pending: PendingStatus;
}

export interface PendingStatus {
  count: number;
  /** Age of the oldest pending entry in ms, null when there is none. */
  oldestAgeMs: number | null;
  /** Queued entries the sealer refused (not made by the app, or a copy of a sealed one), kept in audit_pending_refused. */
  refused: number;
}

/** How many entries wait in `audit_pending`, for how long the oldest has, and how many the sealer refused. */
export async function auditPendingStatus<DB extends AuditTables>(database: Kysely<DB>, nowMs = Date.now()): Promise<PendingStatus> {
  const row = await auditDb(database)
    .selectFrom('audit_pending')
    .select((eb) => [eb.fn.countAll<number | string>().as('count'), eb.fn.min('timestamp').as('oldest')])
    .executeTakeFirst();
  const refused = await auditDb(database)
    .selectFrom('audit_pending_refused')
    .select((eb) => eb.fn.countAll<number | string>().as('count'))
    .executeTakeFirst();
  const count = Number(row?.count ?? 0);
  const oldest = row?.oldest === null || row?.oldest === undefined ? null : Number(row.oldest);
  return {
    count,
    oldestAgeMs: count > 0 && oldest !== null ? Math.max(0, nowMs - oldest) : null,
    refused: Number(refused?.count ?? 0),
  };
}

export interface VerifyOptions {
  /** Ids per range: the database checks one range per statement and returns at most two rows for it. */
  batchSize?: number;
  /**
   * Ranges checked at once (default: the available cores, at most 4): PostgreSQL connections from the pool, or on
   * SQLite worker threads with their own read-only connections (a file database with more than one range).
   */
  parallelism?: number;
  /** Called (and awaited) after each range, in id order, with the entries checked so far and the chain length at the start. */
  onProgress?: (checked: number, expected: number) => void | Promise<void>;
  /**
   * The keys entries are authenticated with (AUDIT_MAC_KEY): every entry must then carry a valid MAC. The app and
   * `audit:verify` always give them; without them, only the chain and the timestamps are checked.
   */
  macKeys?: AuditMacKeys;
}

/** The database to verify: the app's Kysely instance and which database it is (SQLite connections need registerAuditSqliteFunctions). */
export interface AuditDatabase<DB extends AuditTables> {
  db: Kysely<DB>;
  dialect: AuditSqlDialect;
}

interface Entry {
  id: number;
  hash: string;
}

const GENESIS: Entry = { id: 0, hash: GENESIS_HASH };

/** Ranges checked at once unless told otherwise: one per available core, at most 4. */
export const defaultVerifyParallelism = (): number => Math.min(os.availableParallelism(), 4);

const readHead = (db: Kysely<AuditTables>) =>
  db.selectFrom('audit_chain_head').select(['last_id', 'last_hash']).where('id', '=', 1).executeTakeFirst();

/** The entry with the highest id below `id` (ids start at 1), or the genesis. */
async function entryBefore(db: Kysely<AuditTables>, id: number): Promise<Entry> {
  const row = await db
    .selectFrom('audit_log')
    .select(['id', 'hash'])
    .where('id', '>', 0)
    .where('id', '<', id)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? { id: Number(row.id), hash: row.hash } : GENESIS;
}

async function firstIdAfter(db: Kysely<AuditTables>, id: number): Promise<number | undefined> {
  const row = await db.selectFrom('audit_log').select('id').where('id', '>', id).orderBy('id', 'asc').limit(1).executeTakeFirst();
  return row ? Number(row.id) : undefined;
}

async function newestId(db: Kysely<AuditTables>): Promise<number> {
  const row = await db.selectFrom('audit_log').select('id').where('id', '>', 0).orderBy('id', 'desc').limit(1).executeTakeFirst();
  return row ? Number(row.id) : 0;
}

/** The file behind a SQLite connection; empty for an in-memory database, which other connections cannot open. */
async function sqliteFile(db: Kysely<AuditTables>): Promise<string> {
  const { rows } = await sql<{ file: string | null }>`select file from pragma_database_list where name = 'main'`.execute(db);
  return rows[0]?.file ?? '';
}

/** PostgreSQL: ranges on several pooled connections. SQLite: worker threads when there is a file and more than one range. */
async function openRangeChecker(
  db: Kysely<AuditTables>,
  dialect: AuditSqlDialect,
  parallelism: number,
  ranges: number,
): Promise<RangeChecker> {
  if (dialect === 'postgres') return databaseRangeChecker(db, 'postgres', parallelism);
  const file = parallelism > 1 && ranges > 1 ? await sqliteFile(db) : '';
  return file ? sqliteWorkerRangeChecker(db, file, parallelism) : databaseRangeChecker(db, 'sqlite', 1);
}

type RangesOutcome =
  /** Every range up to the end held all its ids. */
  | { kind: 'complete' }
  /** A range ended before its last id: the entries after `last` are missing, or there are no more. */
  | { kind: 'gap' }
  | { kind: 'broken'; id: number; problem: NonNullable<RangeCheck['firstBroken']>['problem'] };

/**
 * Walks the whole chain in id order, range by range, each range checked by the database in one statement (ids
 * gapless, every prev_hash the previous entry's hash, every hash matching its fields), several ranges at once.
 * Results are taken in id order, so it reports what a one-by-one walk would: the first broken entry. Entries
 * appended while it runs are checked too; the chain head is compared with the newest entry at the end.
 */
export async function verifyAuditChain<DB extends AuditTables>(
  database: AuditDatabase<DB>,
  options: VerifyOptions = {},
): Promise<ChainStatus> {
  const status = await verifyChainLinks(database, options);
  const authenticated = await verifyEntryAuthenticity(database, status, options.macKeys);
  return { ...authenticated, pending: await auditPendingStatus(database.db) };
}

const AUTH_BATCH = 10_000;

async function hasMacColumn(db: Kysely<AuditTables>, dialect: AuditSqlDialect): Promise<boolean> {
  const { rows } =
    dialect === 'postgres'
      ? await sql`select 1 from information_schema.columns where table_name = 'audit_log' and column_name = 'mac' and table_schema = current_schema()`.execute(
          db,
        )
      : await sql`select 1 from pragma_table_info('audit_log') where name = 'mac'`.execute(db);
  return rows.length > 0;
}

/**
 * The entries the chain check passed (all of them, or those before the first broken one), read in id order: each
 * dated no earlier than the one before it and, with macKeys, authenticated by its MAC. An earlier failure here
 * replaces the chain's break: the first entry that is not genuine is the one reported.
 */
async function verifyEntryAuthenticity<DB extends AuditTables>(
  database: AuditDatabase<DB>,
  status: Omit<ChainStatus, 'pending'>,
  macKeys: AuditMacKeys | undefined,
): Promise<Omit<ChainStatus, 'pending'>> {
  const db = auditDb(database.db);
  const started = performance.now();
  // A copy from before migration 0008 (a restore drill of an old backup) has no MAC column: its entries are legacy.
  const macColumn = await hasMacColumn(db, database.dialect);
  const upTo = status.firstBroken ? status.firstBroken.id - 1 : status.lastId;
  let previous: EntryAnchor = GENESIS_ANCHOR;
  while (previous.id < upTo) {
    const rows = await db
      .selectFrom('audit_log')
      .select(['id', 'timestamp', 'hash'])
      .$if(macColumn, (qb) => qb.select('mac'))
      .where('id', '>', previous.id)
      .where('id', '<=', upTo)
      .orderBy('id')
      .limit(AUTH_BATCH)
      .execute();
    if (rows.length === 0) break;
    for (const stored of rows) {
      const row = { ...stored, mac: stored.mac ?? null, id: Number(stored.id), timestamp: Number(stored.timestamp) };
      const problem = entryAuthProblem(previous, row, macKeys);
      if (problem) {
        return {
          ...status,
          ok: false,
          entries: previous.id,
          lastId: previous.id,
          lastHash: previous.hash,
          firstBroken: problem,
          durationMs: status.durationMs + Math.round(performance.now() - started),
        };
      }
      previous = { id: row.id, hash: row.hash, timestamp: row.timestamp };
    }
  }
  return { ...status, durationMs: status.durationMs + Math.round(performance.now() - started) };
}

async function verifyChainLinks<DB extends AuditTables>(
  database: AuditDatabase<DB>,
  options: VerifyOptions,
): Promise<Omit<ChainStatus, 'pending'>> {
  const db = auditDb(database.db);
  const started = performance.now();
  const batchSize = options.batchSize ?? 10_000;
  const parallelism = Math.max(1, options.parallelism ?? defaultVerifyParallelism());
  const expected = Number((await readHead(db))?.last_id ?? 0);
  let last = GENESIS;

  const result = (firstBroken: ChainBreak | null): Omit<ChainStatus, 'pending'> => ({
    ok: firstBroken === null,
    entries: last.id,
    lastId: last.id,
    lastHash: last.hash,
    firstBroken,
    durationMs: Math.round(performance.now() - started),
  });
  const missing = (id: number, why: string) => result({ id, reason: 'missing_entry', message: `entry ${id} is missing (${why})` });

  let end = await newestId(db);
  const checker = await openRangeChecker(db, database.dialect, parallelism, Math.ceil(end / batchSize));

  /** Checks the ids after `last` up to `end`, `checker.parallelism` ranges in flight, results taken in order. */
  async function checkRanges(): Promise<RangesOutcome> {
    const inFlight: { toId: number; check: Promise<RangeCheck> }[] = [];
    let nextId = last.id + 1;
    const fill = () => {
      while (inFlight.length < checker.parallelism && nextId <= end) {
        const fromId = nextId;
        const toId = Math.min(fromId + batchSize - 1, end);
        nextId = toId + 1;
        const check = checker.check(fromId, toId);
        // A range checked ahead is dropped when the walk stops early; its failure then concerns no one.
        check.catch(() => undefined);
        inFlight.push({ toId, check });
      }
    };
    try {
      fill();
      for (let range = inFlight.shift(); range; range = inFlight.shift()) {
        const { firstBroken, newest } = await range.check;
        if (firstBroken) return { kind: 'broken', ...firstBroken };
        if (newest) last = newest;
        fill();
        await options.onProgress?.(last.id, Math.max(expected, last.id));
        if (last.id < range.toId) return { kind: 'gap' };
      }
      return { kind: 'complete' };
    } finally {
      await Promise.allSettled(inFlight.map((range) => range.check));
    }
  }

  try {
    let headWasAhead = false;
    for (;;) {
      if (end > last.id) {
        const outcome = await checkRanges();
        if (outcome.kind === 'broken') {
          last = await entryBefore(db, outcome.id);
          if (outcome.problem === 'gap') return missing(last.id + 1, `the next entry is ${outcome.id}`);
          if (outcome.problem === 'link') {
            return result({
              id: outcome.id,
              reason: 'prev_hash_mismatch',
              message: `entry ${outcome.id} does not follow entry ${last.id}`,
            });
          }
          return result({ id: outcome.id, reason: 'hash_mismatch', message: `entry ${outcome.id} was changed after it was written` });
        }
        if (outcome.kind === 'gap') {
          const next = await firstIdAfter(db, last.id);
          if (next !== undefined) return missing(last.id + 1, `the next entry is ${next}`);
        }
      }
      // Entries appended while the ranges were checked: check them too.
      end = await newestId(db);
      if (end > last.id) continue;

      const head = await readHead(db);
      const headId = Number(head?.last_id ?? 0);
      if (headId === last.id) {
        if (head && head.last_hash !== last.hash) {
          return result({ id: last.id, reason: 'head_mismatch', message: `the chain head does not name entry ${last.id}` });
        }
        return result(null);
      }
      if (headId < last.id) {
        const id = headId + 1;
        return result({ id, reason: 'not_in_head', message: `entry ${id} is past the chain head (entry ${headId})` });
      }
      // The head is ahead: entries were appended since we looked (look again), or the newest ones were deleted.
      if (headWasAhead) return missing(last.id + 1, `the chain head names entry ${headId}`);
      headWasAhead = true;
    }
  } finally {
    await checker.close();
  }
}
