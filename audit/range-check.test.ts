import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../src/server/db/connect';
import { asDatabaseOwner } from '../test/helpers/audit-owner';
import { DIALECTS, createTestDatabase, openTestDatabase, type DialectName, type TestDatabase } from '../test/helpers/databases';
import { appendAuditEntry } from './log';
import { databaseRangeChecker, type RangeCheck, type RangeChecker } from './range-check';
import { sqliteWorkerRangeChecker } from './verify-workers';

const ENTRIES = 12;

async function fill(handle: DatabaseHandle) {
  for (let i = 1; i <= ENTRIES; i++) {
    await handle.db.transaction().execute((tx) =>
      appendAuditEntry(
        tx,
        // Odd text too: what the SQL hashes must be what JavaScript hashed when the entry was written.
        { action: 'login_success', resource: `user:ü-${i}|🔐:-`, userId: i % 4 ? `u-${i}` : null, ip: null, userAgent: 'x\ny' },
        () => undefined,
      ),
    );
  }
}

/** For each test of the enclosing describe: a fresh database of the dialect holding ENTRIES audit entries. */
function useFilledDatabase(dialect: DialectName): { testDb: TestDatabase; handle: DatabaseHandle } {
  const fixture = {} as { testDb: TestDatabase; handle: DatabaseHandle };
  beforeEach(async () => {
    fixture.testDb = await createTestDatabase(dialect);
    fixture.handle = await openTestDatabase(fixture.testDb);
    await fill(fixture.handle);
  });
  afterEach(async () => {
    await fixture.handle?.close();
    await fixture.testDb?.drop();
  });
  return fixture;
}

/** Every range of 4 ids (and one past the end), as a checker answers them. */
async function answers(checker: RangeChecker): Promise<RangeCheck[]> {
  const results: RangeCheck[] = [];
  for (let fromId = 1; fromId <= ENTRIES + 4; fromId += 4) results.push(await checker.check(fromId, fromId + 3));
  return results;
}

describe.each(DIALECTS)('range checks on %s', (dialect) => {
  const database = useFilledDatabase(dialect);

  const hashOf = async (id: number) =>
    (await database.handle.db.selectFrom('audit_log').select('hash').where('id', '=', id).executeTakeFirstOrThrow()).hash;

  it('answers each range with its first broken entry and its newest entry', async () => {
    const checker = databaseRangeChecker(database.handle.db, dialect, 1);
    expect(await answers(checker)).toEqual([
      { firstBroken: null, newest: { id: 4, hash: await hashOf(4) } },
      { firstBroken: null, newest: { id: 8, hash: await hashOf(8) } },
      { firstBroken: null, newest: { id: 12, hash: await hashOf(12) } },
      { firstBroken: null, newest: null },
    ]);

    await asDatabaseOwner(database.handle, async (db) => {
      await db.updateTable('audit_log').set({ user_agent: 'changed' }).where('id', '=', 2).execute();
      await db.deleteFrom('audit_log').where('id', '=', 5).execute();
      await db
        .updateTable('audit_log')
        .set({ prev_hash: 'f'.repeat(64) })
        .where('id', '=', 12)
        .execute();
    });
    expect(await answers(checker)).toEqual([
      { firstBroken: { id: 2, problem: 'hash' }, newest: { id: 4, hash: await hashOf(4) } },
      { firstBroken: { id: 6, problem: 'gap' }, newest: { id: 8, hash: await hashOf(8) } },
      // prev_hash is part of the hashed text, so entry 12 has both problems; the link is looked at first.
      { firstBroken: { id: 12, problem: 'link' }, newest: { id: 12, hash: await hashOf(12) } },
      { firstBroken: null, newest: null },
    ]);
  });
});

describe('range checks on SQLite worker threads', () => {
  const database = useFilledDatabase('sqlite');
  const file = () => database.testDb.url.slice('file:'.length);

  it('answer as the app’s connection does, range by range, on an intact and on a tampered chain', async () => {
    const onConnection = databaseRangeChecker(database.handle.db, 'sqlite', 1);
    const onWorkers = sqliteWorkerRangeChecker(database.handle.db, file(), 2);
    try {
      expect(await answers(onWorkers)).toEqual(await answers(onConnection));
      await asDatabaseOwner(database.handle, async (db) => {
        await db.updateTable('audit_log').set({ details: '{"x":1}' }).where('id', '=', 3).execute();
        await db.deleteFrom('audit_log').where('id', '>=', 6).where('id', '<=', 9).execute();
      });
      const tampered = await answers(onConnection);
      expect(tampered.map((r) => r.firstBroken)).toEqual([{ id: 3, problem: 'hash' }, null, { id: 10, problem: 'gap' }, null]);
      // Several ranges in flight on the two threads at once.
      const inParallel = await Promise.all([1, 5, 9, 13].map((fromId) => onWorkers.check(fromId, fromId + 3)));
      expect(inParallel).toEqual(tampered);
    } finally {
      await onWorkers.close();
    }
  });

  it('fail, rather than wait forever, when the file has no audit chain', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drop-no-chain-'));
    const empty = path.join(dir, 'empty.db');
    new SQLite(empty).close();
    const onWorkers = sqliteWorkerRangeChecker(database.handle.db, empty, 2);
    try {
      await expect(onWorkers.check(1, 4)).rejects.toThrow(/no such table: audit_log/);
    } finally {
      await onWorkers.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
