import type { Kysely } from 'kysely';
import { GENESIS_HASH, canonicalAuditSql, hashCanonicalText } from './audit-chain';
import { auditDb, type AuditTables } from './audit-schema';

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
  | 'head_mismatch';

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
}

export interface VerifyOptions {
  /** Rows per keyset query; memory stays bounded by one batch. */
  batchSize?: number;
  /** Called (and awaited) after each batch with the entries checked so far and the chain length at the start. */
  onProgress?: (checked: number, expected: number) => void | Promise<void>;
}

const readHead = (db: Kysely<AuditTables>) =>
  db.selectFrom('audit_chain_head').select(['last_id', 'last_hash']).where('id', '=', 1).executeTakeFirst();

/**
 * Walks the whole chain in id order, in keyset batches, recomputing every hash. Stops at the first broken entry.
 * Entries appended while it runs are checked too; the chain head is compared with the newest entry at the end.
 */
export async function verifyAuditChain<DB extends AuditTables>(
  database: Kysely<DB>,
  options: VerifyOptions = {},
): Promise<ChainStatus> {
  const db = auditDb(database);
  const started = performance.now();
  const batchSize = options.batchSize ?? 10_000;
  const expected = Number((await readHead(db))?.last_id ?? 0);
  let lastId = 0;
  let lastHash = GENESIS_HASH;

  const result = (firstBroken: ChainBreak | null): ChainStatus => ({
    ok: firstBroken === null,
    entries: lastId,
    lastId,
    lastHash,
    firstBroken,
    durationMs: Math.round(performance.now() - started),
  });

  const readBatch = (afterId: number) => {
    const batch = db
      .selectFrom('audit_log')
      .select(['id', 'prev_hash', 'hash', canonicalAuditSql().as('canonical')])
      .where('id', '>', afterId)
      .orderBy('id', 'asc')
      .limit(batchSize)
      .execute();
    // A batch read ahead is dropped when the walk stops early; its failure then concerns no one.
    batch.catch(() => undefined);
    return batch;
  };

  let headWasAhead = false;
  let pending = readBatch(0);
  for (;;) {
    const rows = await pending;
    const newest = rows.at(-1);
    // Read the next batch while this one is hashed (PostgreSQL works meanwhile); one batch ahead at most.
    if (rows.length === batchSize && newest) pending = readBatch(Number(newest.id));
    for (const row of rows) {
      const id = lastId + 1;
      if (Number(row.id) !== id) {
        return result({ id, reason: 'missing_entry', message: `entry ${id} is missing (the next entry is ${row.id})` });
      }
      if (row.prev_hash !== lastHash) {
        return result({ id, reason: 'prev_hash_mismatch', message: `entry ${id} does not follow entry ${lastId}` });
      }
      // The database builds the canonical text from the stored columns: one string per entry to read and hash.
      if (hashCanonicalText(row.canonical) !== row.hash) {
        return result({ id, reason: 'hash_mismatch', message: `entry ${id} was changed after it was written` });
      }
      lastId = id;
      lastHash = row.hash;
    }
    await options.onProgress?.(lastId, Math.max(expected, lastId));
    if (rows.length === batchSize) continue;

    const head = await readHead(db);
    const headId = Number(head?.last_id ?? 0);
    if (headId === lastId) {
      if (head && head.last_hash !== lastHash) {
        return result({ id: lastId, reason: 'head_mismatch', message: `the chain head does not name entry ${lastId}` });
      }
      return result(null);
    }
    if (headId < lastId) {
      const id = headId + 1;
      return result({ id, reason: 'not_in_head', message: `entry ${id} is past the chain head (entry ${headId})` });
    }
    // The head is ahead: entries were appended while we read (read them), or the newest ones were deleted.
    if (headWasAhead && rows.length === 0) {
      const id = lastId + 1;
      return result({ id, reason: 'missing_entry', message: `entry ${id} is missing (the chain head names entry ${headId})` });
    }
    headWasAhead = true;
    pending = readBatch(lastId);
  }
}
