import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../src/server/db/connect';
import { DIALECTS, createTestDatabase, openTestDatabase, type TestDatabase } from '../test/helpers/databases';
import { inSpan } from '../test/helpers/in-memory-spans';
import type { AuditAction } from './actions';
import { appendAuditEntry } from './log';
import {
  countAuditEntries,
  decodeAuditCursor,
  encodeAuditCursor,
  findAuditEntry,
  listAuditEntries,
  streamAuditEntries,
  type AuditFilters,
  type AuditPage,
} from './query';
import type { AuditRow } from './schema';

const ACTIONS: AuditAction[] = ['login_success', 'transfer_initiated', 'transfer_completed', 'login_failure'];

describe.each(DIALECTS)('audit queries on %s', (dialect) => {
  let testDb: TestDatabase;
  let handle: DatabaseHandle;
  let requestId: string;

  const append = (i: number) =>
    handle.db.transaction().execute((tx) =>
      appendAuditEntry(
        tx,
        {
          action: ACTIONS[i % ACTIONS.length]!,
          outcome: ACTIONS[i % ACTIONS.length] === 'login_failure' ? 'failure' : 'success',
          resource: `thing:${i}`,
          userId: `user-${i % 3}`,
          ip: null,
          userAgent: null,
        },
        () => undefined,
      ),
    );

  beforeAll(async () => {
    testDb = await createTestDatabase(dialect);
    handle = await openTestDatabase(testDb);
    for (let i = 0; i < 50; i++) {
      await append(i);
      // Spread some entries over different milliseconds, keep others in the same one: ties are broken by id.
      if (i % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 3));
    }
    const traced = await inSpan('request', async () => {
      await append(100);
      await append(101);
    });
    requestId = traced.traceId;
  });
  afterAll(async () => {
    await handle?.close();
    await testDb?.drop();
  });

  const newestFirst = (rows: AuditRow[]) => [...rows].sort((a, b) => b.timestamp - a.timestamp || b.id - a.id).map((r) => r.id);
  const allRows = () => handle.db.selectFrom('audit_log').selectAll().execute();

  async function readAllPages(filters: AuditFilters, limit: number, between?: () => Promise<void>) {
    const ids: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: AuditPage = await listAuditEntries(handle.db, filters, { limit, cursor: cursor ? decodeAuditCursor(cursor) : undefined });
      expect(page.entries.length).toBeLessThanOrEqual(limit);
      ids.push(...page.entries.map((e) => e.id));
      cursor = page.nextCursor;
      pages++;
      await between?.();
    } while (cursor && pages < 1_000);
    return ids;
  }

  it('pages through everything newest first, each entry once, and ends with a null cursor', async () => {
    expect(await readAllPages({}, 7)).toEqual(newestFirst(await allRows()));
  });

  it('returns to the previous page with prevCursor, and has none on the first page', async () => {
    const first = await listAuditEntries(handle.db, {}, { limit: 5 });
    expect(first.prevCursor).toBeNull();
    const second = await listAuditEntries(handle.db, {}, { limit: 5, cursor: decodeAuditCursor(first.nextCursor!) });
    const third = await listAuditEntries(handle.db, {}, { limit: 5, cursor: decodeAuditCursor(second.nextCursor!) });
    const backToSecond = await listAuditEntries(handle.db, {}, { limit: 5, cursor: decodeAuditCursor(third.prevCursor!) });
    expect(backToSecond.entries.map((e) => e.id)).toEqual(second.entries.map((e) => e.id));
    const backToFirst = await listAuditEntries(handle.db, {}, { limit: 5, cursor: decodeAuditCursor(backToSecond.prevCursor!) });
    expect(backToFirst.entries.map((e) => e.id)).toEqual(first.entries.map((e) => e.id));
    expect(backToFirst.prevCursor).toBeNull();
    expect(backToFirst.nextCursor).toBe(first.nextCursor);
  });

  it('filters by user, actions, outcome, request id and time range', async () => {
    const rows = await allRows();
    const median = [...rows].sort((a, b) => a.timestamp - b.timestamp)[Math.floor(rows.length / 2)]!.timestamp;
    const cases: [AuditFilters, (r: AuditRow) => boolean][] = [
      [{ userId: 'user-1' }, (r) => r.user_id === 'user-1'],
      [{ actions: ['login_success', 'login_failure'] }, (r) => r.action === 'login_success' || r.action === 'login_failure'],
      [{ outcome: 'failure' }, (r) => r.outcome === 'failure'],
      [{ requestId }, (r) => r.request_id === requestId],
      [{ from: median }, (r) => r.timestamp >= median],
      [{ to: median }, (r) => r.timestamp < median],
      [
        { userId: 'user-2', actions: ['transfer_initiated'], from: 0, to: Date.now() + 1 },
        (r) => r.user_id === 'user-2' && r.action === 'transfer_initiated',
      ],
    ];
    for (const [filters, predicate] of cases) {
      const expected = newestFirst(rows.filter(predicate));
      expect(expected.length, JSON.stringify(filters)).toBeGreaterThan(0);
      expect(await readAllPages(filters, 4), JSON.stringify(filters)).toEqual(expected);
    }
    expect(await readAllPages({ requestId }, 50)).toHaveLength(2);
  });

  it('neither skips nor repeats entries while new ones arrive between pages', async () => {
    const before = newestFirst(await allRows());
    let next = 1_000;
    const seen = await readAllPages({}, 6, async () => {
      await append(next++);
      await append(next++);
    });
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.filter((id) => before.includes(id))).toEqual(before);
  });

  it('streams every matching entry newest first in small batches', async () => {
    const streamed: number[] = [];
    for await (const row of streamAuditEntries(handle.db, { userId: 'user-0' }, 3)) streamed.push(row.id);
    expect(streamed).toEqual(newestFirst((await allRows()).filter((r) => r.user_id === 'user-0')));
  });

  it('round-trips cursors and rejects anything else', () => {
    const cursor = { timestamp: 1_750_000_000_123, id: 42, direction: 'older' as const };
    expect(decodeAuditCursor(encodeAuditCursor(cursor))).toEqual(cursor);
    for (const bad of [
      '',
      'not a cursor',
      'eyJ4IjoxfQ',
      Buffer.from('["o",1.5,2]').toString('base64url'),
      Buffer.from('["x",1,2]').toString('base64url'),
      'A'.repeat(300),
    ]) {
      expect(decodeAuditCursor(bad), bad).toBeUndefined();
    }
  });

  it('counts the entries that match the filters, up to a cap, and finds one entry by id', async () => {
    const rows = await allRows();
    expect(await countAuditEntries(handle.db, {})).toEqual({ count: rows.length, more: false });
    const failures = rows.filter((r) => r.outcome === 'failure');
    expect(await countAuditEntries(handle.db, { outcome: 'failure' })).toEqual({ count: failures.length, more: false });
    expect(await countAuditEntries(handle.db, { userId: 'user-1', actions: ['transfer_initiated'] })).toEqual({
      count: rows.filter((r) => r.user_id === 'user-1' && r.action === 'transfer_initiated').length,
      more: false,
    });
    expect(await countAuditEntries(handle.db, { requestId })).toEqual({ count: 2, more: false });
    expect(await countAuditEntries(handle.db, {}, 10)).toEqual({ count: 10, more: true });
    expect(await countAuditEntries(handle.db, { requestId }, 2)).toEqual({ count: 2, more: false });
    expect(await findAuditEntry(handle.db, rows[3]!.id)).toEqual(rows[3]);
    expect(await findAuditEntry(handle.db, 999_999)).toBeUndefined();
  });
});
