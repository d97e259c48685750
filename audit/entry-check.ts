import type { Kysely } from 'kysely';
import { GENESIS_HASH, hashAuditEntry } from './chain';
import { MAC_PROBLEM_MESSAGES, auditMacProblem, type AuditMacKeys } from './entry-mac';
import { auditDb, type AuditRow, type AuditTables } from './schema';

/** Why an entry is not one the app wrote: beyond the hash chain's own reasons (verify.ts). */
export type EntryBreakReason = 'prev_hash_mismatch' | 'hash_mismatch' | 'missing_entry' | 'unauthenticated' | 'timestamp_backwards';

export interface EntryBreak {
  id: number;
  reason: EntryBreakReason;
  message: string;
}

/** The previous entry an entry is checked against: its id, hash and timestamp. */
export interface EntryAnchor {
  id: number;
  hash: string;
  timestamp: number;
}

export const GENESIS_ANCHOR: EntryAnchor = { id: 0, hash: GENESIS_HASH, timestamp: Number.NEGATIVE_INFINITY };

/**
 * What breaks between an entry and the one before it, in the order a reader cares: a timestamp before its
 * predecessor's, then a MAC that does not authenticate it (keys given). Links and hashes are the chain's concern.
 */
export function entryAuthProblem(
  previous: EntryAnchor,
  entry: Pick<AuditRow, 'id' | 'timestamp' | 'hash' | 'mac'>,
  macKeys: AuditMacKeys | undefined,
): EntryBreak | null {
  const timestamp = Number(entry.timestamp);
  if (timestamp < previous.timestamp) {
    return {
      id: entry.id,
      reason: 'timestamp_backwards',
      message: `entry ${entry.id} is dated before entry ${previous.id}: timestamps never go backwards`,
    };
  }
  const problem = macKeys ? auditMacProblem(macKeys, entry) : null;
  if (problem) return { id: entry.id, reason: 'unauthenticated', message: `entry ${entry.id} ${MAC_PROBLEM_MESSAGES[problem]}` };
  return null;
}

const BATCH = 500;

/**
 * Checks every entry after `afterId` up to `upToId` completely — ids without gaps, each linked to its predecessor,
 * each hash matching its fields, timestamps in order, each MAC valid (keys given) — before a checkpoint vouches for
 * them. Returns the first entry that fails, or null.
 */
export async function checkEntriesBeforeCheckpoint<DB extends AuditTables>(
  database: Kysely<DB>,
  afterId: number,
  upToId: number,
  macKeys: AuditMacKeys | undefined,
): Promise<EntryBreak | null> {
  const db = auditDb(database);
  let previous = GENESIS_ANCHOR;
  if (afterId > 0) {
    const row = await db.selectFrom('audit_log').select(['id', 'hash', 'timestamp']).where('id', '=', afterId).executeTakeFirst();
    if (!row) return { id: afterId, reason: 'missing_entry', message: `entry ${afterId}, named by a checkpoint, is missing` };
    previous = { id: Number(row.id), hash: row.hash, timestamp: Number(row.timestamp) };
  }
  while (previous.id < upToId) {
    const rows = await db
      .selectFrom('audit_log')
      .selectAll()
      .where('id', '>', previous.id)
      .where('id', '<=', upToId)
      .orderBy('id')
      .limit(BATCH)
      .execute();
    if (rows.length === 0) {
      return { id: previous.id + 1, reason: 'missing_entry', message: `entry ${previous.id + 1} is missing` };
    }
    for (const stored of rows) {
      const row = { ...stored, id: Number(stored.id), timestamp: Number(stored.timestamp) };
      if (row.id !== previous.id + 1)
        return { id: previous.id + 1, reason: 'missing_entry', message: `entry ${previous.id + 1} is missing` };
      if (row.prev_hash !== previous.hash) {
        return { id: row.id, reason: 'prev_hash_mismatch', message: `entry ${row.id} does not follow entry ${previous.id}` };
      }
      if (hashAuditEntry(row) !== row.hash) {
        return { id: row.id, reason: 'hash_mismatch', message: `entry ${row.id} was changed after it was written` };
      }
      const problem = entryAuthProblem(previous, row, macKeys);
      if (problem) return problem;
      previous = { id: row.id, hash: row.hash, timestamp: row.timestamp };
    }
  }
  return null;
}
