import { CORRELATION } from '@otel';
import type { Kysely } from 'kysely';
import type { AuditAction, AuditOutcome } from './actions';
import { auditDb, type AuditRow, type AuditTables } from './schema';

export interface AuditFilters {
  userId?: string;
  /** Any of these actions. */
  actions?: readonly AuditAction[];
  outcome?: AuditOutcome;
  requestId?: string;
  /** Epoch ms, inclusive. */
  from?: number;
  /** Epoch ms, exclusive. */
  to?: number;
}

/** A position in the newest-first order: the (timestamp, id) of an entry, and which way to read from it. */
export interface AuditCursor {
  timestamp: number;
  id: number;
  direction: 'older' | 'newer';
}

export interface AuditPage {
  /** Newest first. */
  entries: AuditRow[];
  /** Reads the entries after this page (older), or null when this page is the last. */
  nextCursor: string | null;
  /** Reads the entries before this page (newer), or null when this page is the first. */
  prevCursor: string | null;
}

/** The largest page the HTTP API serves; streams read in larger batches. */
export const AUDIT_PAGE_MAX = 200;
const STREAM_BATCH = 1_000;

/** Cursors are opaque to clients: base64url of a small JSON array. */
export function encodeAuditCursor(cursor: AuditCursor): string {
  const tuple = [cursor.direction === 'older' ? 'o' : 'n', cursor.timestamp, cursor.id];
  return Buffer.from(JSON.stringify(tuple)).toString('base64url');
}

/** The cursor, or undefined for anything that is not one of ours. */
export function decodeAuditCursor(text: string): AuditCursor | undefined {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(text)) return undefined;
  let tuple: unknown;
  try {
    tuple = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(tuple) || tuple.length !== 3) return undefined;
  const [dir, timestamp, id] = tuple as unknown[];
  if ((dir !== 'o' && dir !== 'n') || !Number.isSafeInteger(timestamp) || !Number.isSafeInteger(id)) return undefined;
  return { direction: dir === 'o' ? 'older' : 'newer', timestamp: timestamp as number, id: id as number };
}

const cursorAt = (row: AuditRow, direction: AuditCursor['direction']) =>
  encodeAuditCursor({ timestamp: row.timestamp, id: row.id, direction });

function filteredEntries(db: Kysely<AuditTables>, filters: AuditFilters) {
  let query = db.selectFrom('audit_log').selectAll();
  if (filters.userId !== undefined) query = query.where('user_id', '=', filters.userId);
  if (filters.actions && filters.actions.length > 0) query = query.where('action', 'in', filters.actions);
  if (filters.outcome !== undefined) query = query.where('outcome', '=', filters.outcome);
  if (filters.requestId !== undefined) query = query.where(CORRELATION.auditColumn, '=', filters.requestId);
  if (filters.from !== undefined) query = query.where('timestamp', '>=', filters.from);
  if (filters.to !== undefined) query = query.where('timestamp', '<', filters.to);
  return query;
}

/**
 * One page, newest first, by keyset on (timestamp, id): a page boundary is a position, not an offset, so new
 * entries arriving meanwhile neither shift a page nor make an entry appear twice.
 */
export async function listAuditEntries<DB extends AuditTables>(
  database: Kysely<DB>,
  filters: AuditFilters,
  page: { limit: number; cursor?: AuditCursor },
): Promise<AuditPage> {
  const db = auditDb(database);
  const limit = Math.max(1, Math.trunc(page.limit));
  const { cursor } = page;
  let query = filteredEntries(db, filters);

  if (cursor?.direction === 'newer') {
    const rows = await query
      .where((eb) => eb(eb.refTuple('timestamp', 'id'), '>', eb.tuple(cursor.timestamp, cursor.id)))
      .orderBy('timestamp', 'asc')
      .orderBy('id', 'asc')
      .limit(limit + 1)
      .execute();
    const hasNewer = rows.length > limit;
    const entries = rows.slice(0, limit).reverse();
    const last = entries.at(-1);
    const first = entries[0];
    return {
      entries,
      // The cursor's own entry is older than this page, so there is always a next page.
      nextCursor: last ? cursorAt(last, 'older') : encodeAuditCursor({ ...cursor, direction: 'older' }),
      prevCursor: hasNewer && first ? cursorAt(first, 'newer') : null,
    };
  }

  if (cursor) {
    query = query.where((eb) => eb(eb.refTuple('timestamp', 'id'), '<', eb.tuple(cursor.timestamp, cursor.id)));
  }
  const rows = await query
    .orderBy('timestamp', 'desc')
    .orderBy('id', 'desc')
    .limit(limit + 1)
    .execute();
  const entries = rows.slice(0, limit);
  const last = entries.at(-1);
  const first = entries[0];
  return {
    entries,
    nextCursor: rows.length > limit && last ? cursorAt(last, 'older') : null,
    prevCursor: !cursor ? null : first ? cursorAt(first, 'newer') : encodeAuditCursor({ ...cursor, direction: 'newer' }),
  };
}

/** Every matching entry, newest first, read in keyset batches: constant memory however long the trail. */
export async function* streamAuditEntries<DB extends AuditTables>(
  db: Kysely<DB>,
  filters: AuditFilters,
  batchSize = STREAM_BATCH,
): AsyncGenerator<AuditRow> {
  let cursor: AuditCursor | undefined;
  for (;;) {
    const page = await listAuditEntries(db, filters, { limit: batchSize, cursor });
    yield* page.entries;
    const last = page.entries.at(-1);
    if (!page.nextCursor || !last) return;
    cursor = { timestamp: last.timestamp, id: last.id, direction: 'older' };
  }
}

/**
 * How many entries match, counted up to `cap` (a count of a long trail reads every matching row, so it stops
 * there): `{ count, more }`, `more` when there are more than `cap`.
 */
export async function countAuditEntries<DB extends AuditTables>(
  database: Kysely<DB>,
  filters: AuditFilters,
  cap = 10_000,
): Promise<{ count: number; more: boolean }> {
  const db = auditDb(database);
  const limited = filteredEntries(db, filters)
    .clearSelect()
    .select((eb) => eb.lit(1).as('one'))
    .limit(cap + 1)
    .as('matching');
  const row = await db
    .selectFrom(limited)
    .select((eb) => eb.fn.countAll<number | string | bigint>().as('count'))
    .executeTakeFirstOrThrow();
  const count = Number(row.count);
  return { count: Math.min(count, cap), more: count > cap };
}

/** One entry by its id, or undefined. */
export function findAuditEntry<DB extends AuditTables>(database: Kysely<DB>, id: number): Promise<AuditRow | undefined> {
  return auditDb(database).selectFrom('audit_log').selectAll().where('id', '=', id).executeTakeFirst();
}
