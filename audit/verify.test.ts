import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../src/server/db/connect';
import { asDatabaseOwner } from '../test/helpers/audit-owner';
import { DIALECTS, createTestDatabase, openTestDatabase, type TestDatabase } from '../test/helpers/databases';
import { hashAuditEntry } from './chain';
import { appendAuditEntry } from './log';
import type { AuditRow } from './schema';
import { verifyAuditChain } from './verify';

const ENTRIES = 25;
/** Ranges of 7 ids: [1–7] [8–14] [15–21] [22–25], so breaks can sit on range boundaries. */
const BATCH = 7;

// One range at a time (SQLite: on the app's connection), and two at once (SQLite: worker threads with their own
// connections; PostgreSQL: two pooled connections): the same answers either way.
const CASES = DIALECTS.flatMap((dialect) => [1, 2].map((parallelism) => ({ dialect, parallelism })));

describe.each(CASES)('verifyAuditChain on $dialect, $parallelism range(s) at once', ({ dialect, parallelism }) => {
  let testDb: TestDatabase;
  let handle: DatabaseHandle;

  async function appendOne(i: number) {
    await handle.db.transaction().execute((tx) =>
      appendAuditEntry(
        tx,
        {
          action: i % 2 ? 'transfer_initiated' : 'login_success',
          resource: `transfer:t-${i}`,
          userId: `user-${i % 3}`,
          details: { amountCents: 100 * i },
          ip: '198.51.100.4',
          userAgent: 'vitest',
        },
        () => undefined,
      ),
    );
  }

  beforeEach(async () => {
    testDb = await createTestDatabase(dialect);
    handle = await openTestDatabase(testDb);
    for (let i = 1; i <= ENTRIES; i++) await appendOne(i);
  });
  afterEach(async () => {
    await handle?.close();
    await testDb?.drop();
  });

  const row = (id: number) => handle.db.selectFrom('audit_log').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const verify = () => verifyAuditChain(handle, { batchSize: BATCH, parallelism });
  const tamper = (change: (db: DatabaseHandle['db']) => Promise<unknown>) =>
    asDatabaseOwner(handle, (db) => change(db).then(() => undefined));

  it('reports an intact chain with its length and newest hash, in batches, with progress', async () => {
    const progress: [number, number][] = [];
    const status = await verifyAuditChain(handle, { batchSize: BATCH, parallelism, onProgress: (c, e) => void progress.push([c, e]) });
    expect(status).toMatchObject({ ok: true, entries: ENTRIES, lastId: ENTRIES, lastHash: (await row(ENTRIES)).hash, firstBroken: null });
    expect(progress).toEqual([
      [7, ENTRIES],
      [14, ENTRIES],
      [21, ENTRIES],
      [25, ENTRIES],
    ]);
  });

  it('reports an empty chain as intact', async () => {
    const empty = await createTestDatabase(dialect);
    const emptyHandle = await openTestDatabase(empty);
    try {
      expect(await verifyAuditChain(emptyHandle, { parallelism })).toMatchObject({ ok: true, entries: 0, lastId: 0 });
    } finally {
      await emptyHandle.close();
      await empty.drop();
    }
  });

  it('checks entries appended while it runs, up to the chain head it finds at the end', async () => {
    const seen: number[] = [];
    const status = await verifyAuditChain(handle, {
      batchSize: 10,
      parallelism,
      onProgress: async (checked) => {
        seen.push(checked);
        // After the last full read: the head has moved on when the verifier looks at it.
        if (checked === ENTRIES) await appendOne(100);
      },
    });
    expect(seen).toEqual([10, 20, ENTRIES, ENTRIES + 1]);
    expect(status).toMatchObject({ ok: true, lastId: ENTRIES + 1, lastHash: (await row(ENTRIES + 1)).hash });
  });

  it('names the entry whose field was modified', async () => {
    await asDatabaseOwner(handle, (db) =>
      db
        .updateTable('audit_log')
        .set({ details: JSON.stringify({ amountCents: 1 }) })
        .where('id', '=', 10)
        .execute()
        .then(() => undefined),
    );
    expect((await verify()).firstBroken).toMatchObject({ id: 10, reason: 'hash_mismatch' });
    expect((await verify()).ok).toBe(false);
  });

  it('names the entry that was deleted', async () => {
    await asDatabaseOwner(handle, (db) =>
      db
        .deleteFrom('audit_log')
        .where('id', '=', 10)
        .execute()
        .then(() => undefined),
    );
    expect(await verify()).toMatchObject({ ok: false, entries: 9, firstBroken: { id: 10, reason: 'missing_entry' } });
  });

  it('notices the newest entries deleted, through the chain head', async () => {
    await asDatabaseOwner(handle, (db) =>
      db
        .deleteFrom('audit_log')
        .where('id', '>=', ENTRIES - 1)
        .execute()
        .then(() => undefined),
    );
    expect((await verify()).firstBroken).toMatchObject({ id: ENTRIES - 1, reason: 'missing_entry' });
  });

  it('names the first of two swapped entries', async () => {
    const [a, b] = [await row(10), await row(11)];
    const contents = (r: AuditRow) => {
      const { id: _id, ...rest } = r;
      return rest;
    };
    await asDatabaseOwner(handle, async (db) => {
      await db.updateTable('audit_log').set(contents(b)).where('id', '=', 10).execute();
      await db.updateTable('audit_log').set(contents(a)).where('id', '=', 11).execute();
    });
    expect((await verify()).firstBroken).toMatchObject({ id: 10, reason: 'prev_hash_mismatch' });
  });

  it('names the entry after one inserted into the middle, even with a well-formed hash', async () => {
    const before = await row(10);
    await asDatabaseOwner(handle, async (db) => {
      // Make room at id 11 (highest first, so the primary key never collides), then forge a linked entry there.
      for (let id = ENTRIES; id >= 11; id--)
        await db
          .updateTable('audit_log')
          .set({ id: id + 1 })
          .where('id', '=', id)
          .execute();
      const forged = { ...before, id: 11, action: 'kyc_submitted' as const, prev_hash: before.hash };
      await db
        .insertInto('audit_log')
        .values({ ...forged, hash: hashAuditEntry(forged) })
        .execute();
    });
    expect((await verify()).firstBroken).toMatchObject({ id: 12, reason: 'prev_hash_mismatch' });
  });

  it('names an entry appended behind the writer’s back, even with a well-formed hash', async () => {
    const newest = await row(ENTRIES);
    const forged = { ...newest, id: ENTRIES + 1, prev_hash: newest.hash };
    await handle.db
      .insertInto('audit_log')
      .values({ ...forged, hash: hashAuditEntry(forged) })
      .execute();
    expect((await verify()).firstBroken).toMatchObject({ id: ENTRIES + 1, reason: 'not_in_head' });
  });

  it('notices a chain head that names another hash', async () => {
    await sql`UPDATE audit_chain_head SET last_hash = ${'f'.repeat(64)}`.execute(handle.db);
    expect((await verify()).firstBroken).toMatchObject({ id: ENTRIES, reason: 'head_mismatch' });
  });

  describe('at range boundaries', () => {
    it('names a changed entry that opens or closes a range', async () => {
      await tamper((db) => db.updateTable('audit_log').set({ outcome: 'failure' }).where('id', 'in', [8, 14]).execute());
      expect(await verify()).toMatchObject({ entries: 7, lastHash: (await row(7)).hash, firstBroken: { id: 8, reason: 'hash_mismatch' } });
      await tamper((db) => db.updateTable('audit_log').set({ outcome: 'success' }).where('id', '=', 8).execute());
      expect((await verify()).firstBroken).toMatchObject({ id: 14, reason: 'hash_mismatch' });
    });

    it('names the entry that closed a range when it is deleted', async () => {
      await tamper((db) => db.deleteFrom('audit_log').where('id', '=', 7).execute());
      expect(await verify()).toMatchObject({
        entries: 6,
        firstBroken: { id: 7, reason: 'missing_entry', message: 'entry 7 is missing (the next entry is 8)' },
      });
    });

    it('names the first of a whole range of deleted entries', async () => {
      await tamper((db) => db.deleteFrom('audit_log').where('id', '>=', 6).where('id', '<=', 16).execute());
      expect(await verify()).toMatchObject({
        entries: 5,
        firstBroken: { id: 6, reason: 'missing_entry', message: 'entry 6 is missing (the next entry is 17)' },
      });
    });

    it('names the first of two entries swapped across a boundary', async () => {
      const [a, b] = [await row(14), await row(15)];
      const { id: _a, ...contentsOfA } = a;
      const { id: _b, ...contentsOfB } = b;
      await tamper(async (db) => {
        await db.updateTable('audit_log').set(contentsOfB).where('id', '=', 14).execute();
        await db.updateTable('audit_log').set(contentsOfA).where('id', '=', 15).execute();
      });
      expect((await verify()).firstBroken).toMatchObject({
        id: 14,
        reason: 'prev_hash_mismatch',
        message: 'entry 14 does not follow entry 13',
      });
    });

    it('reports the earlier of two breaks in different ranges', async () => {
      await tamper(async (db) => {
        await db.updateTable('audit_log').set({ details: '{}' }).where('id', '=', 23).execute();
        await db.deleteFrom('audit_log').where('id', '=', 9).execute();
      });
      expect((await verify()).firstBroken).toMatchObject({ id: 9, reason: 'missing_entry' });
    });
  });

  describe('with ids far beyond the chain', () => {
    const FAR = 1_000_000_000_000;

    it('names the missing entry before a forged one far ahead, without walking the ids in between', async () => {
      const newest = await row(ENTRIES);
      const forged = { ...newest, id: FAR, prev_hash: newest.hash };
      await handle.db
        .insertInto('audit_log')
        .values({ ...forged, hash: hashAuditEntry(forged) })
        .execute();
      expect((await verify()).firstBroken).toMatchObject({
        id: ENTRIES + 1,
        reason: 'missing_entry',
        message: `entry ${ENTRIES + 1} is missing (the next entry is ${FAR})`,
      });
    });

    it('names the missing entry when the chain head names one far ahead', async () => {
      await sql`UPDATE audit_chain_head SET last_id = ${FAR}`.execute(handle.db);
      expect((await verify()).firstBroken).toMatchObject({
        id: ENTRIES + 1,
        reason: 'missing_entry',
        message: `entry ${ENTRIES + 1} is missing (the chain head names entry ${FAR})`,
      });
    });
  });
});

describe.each(DIALECTS)('verifyAuditChain on a %s database from before migration 0009 (a backup being checked)', (dialect) => {
  it('reports no refused queued entries instead of failing', async () => {
    const testDb = await createTestDatabase(dialect);
    const handle = await openTestDatabase(testDb);
    try {
      await sql`DROP TABLE audit_pending_refused`.execute(handle.db);
      expect(await verifyAuditChain(handle)).toMatchObject({ ok: true, entries: 0, pending: { count: 0, refused: 0 } });
    } finally {
      await handle.close();
      await testDb.drop();
    }
  });
});
