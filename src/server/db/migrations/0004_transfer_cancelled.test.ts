import { Migrator, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../../../../test/helpers/databases';
import { openDatabase, type DatabaseHandle } from '../connect';
import { parseDatabaseUrl } from '../database-url';
import { migrationsFor } from '.';

describe.each(DIALECTS)('migration 0004_transfer_cancelled on %s', (dialect) => {
  let database: TestDatabase;
  let handle: DatabaseHandle;
  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    handle = openDatabase(parseDatabaseUrl(database.url));
  });
  afterAll(async () => {
    await handle?.close();
    await database?.drop();
  });

  it('keeps every transfer and the payment request pointing at one, and lets a transfer be cancelled', async () => {
    const migrator = new Migrator({ db: handle.db, provider: { getMigrations: async () => migrationsFor(dialect) } });
    expect((await migrator.migrateTo('0003_audit_trust')).error).toBeUndefined();
    const now = Date.now();
    const user = (id: string) => ({
      id,
      email: `${id}@example.test`,
      name: id,
      password_hash: 'x',
      role: 'user' as const,
      balance_cents: 0,
      created_at: now,
    });
    await handle.db
      .insertInto('users')
      .values([user('ann'), user('bea')])
      .execute();
    const transfer = (id: string, status: 'pending' | 'completed') => ({
      id,
      kind: 'transfer' as const,
      from_user_id: 'ann',
      to_user_id: 'bea',
      amount_cents: 100,
      note: `note ${id}`,
      status,
      idempotency_key: `key-${id}`,
      request_hash: 'h',
      created_at: now,
      completed_at: status === 'completed' ? now : null,
    });
    await handle.db
      .insertInto('transfers')
      .values([transfer('t1', 'pending'), transfer('t2', 'completed')])
      .execute();
    await handle.db
      .insertInto('payment_requests')
      .values({
        code: 'c1',
        payee_user_id: 'bea',
        amount_cents: 100,
        description: null,
        status: 'paid',
        created_at: now,
        expires_at: now + 1,
        paid_at: now,
        paid_by_user_id: 'ann',
        transfer_id: 't2',
      })
      .execute();
    await expect(handle.db.updateTable('transfers').set({ status: 'cancelled' }).where('id', '=', 't1').execute()).rejects.toThrow(
      /check/i,
    );

    const { error, results } = await migrator.migrateTo('0004_transfer_cancelled');
    expect(error).toBeUndefined();
    expect(results?.map((r) => [r.migrationName, r.status])).toEqual([['0004_transfer_cancelled', 'Success']]);

    const rows = await handle.db.selectFrom('transfers').selectAll().orderBy('id').execute();
    expect(rows).toEqual([transfer('t1', 'pending'), transfer('t2', 'completed')]);
    // 0005 adds why a transfer was refused: nothing was, for the transfers already there.
    expect((await migrator.migrateToLatest()).error).toBeUndefined();
    expect(await handle.db.selectFrom('transfers').select(['id', 'failure_reason']).orderBy('id').execute()).toEqual([
      { id: 't1', failure_reason: null },
      { id: 't2', failure_reason: null },
    ]);
    await handle.db.updateTable('transfers').set({ status: 'cancelled' }).where('id', '=', 't1').execute();
    await expect(
      handle.db
        .updateTable('transfers')
        .set({ status: 'lost' as never })
        .where('id', '=', 't1')
        .execute(),
    ).rejects.toThrow(/check/i);
    // The constraints came along: a duplicate idempotency key, a self-transfer and a dangling reference are refused.
    await expect(
      handle.db
        .insertInto('transfers')
        .values({ ...transfer('t3', 'pending'), idempotency_key: 'key-t1' })
        .execute(),
    ).rejects.toThrow(/unique/i);
    await expect(
      handle.db
        .insertInto('transfers')
        .values({ ...transfer('t4', 'pending'), to_user_id: 'ann' })
        .execute(),
    ).rejects.toThrow(/check/i);
    await expect(
      handle.db.updateTable('payment_requests').set({ transfer_id: 'no-such-transfer' }).where('code', '=', 'c1').execute(),
    ).rejects.toThrow(/foreign key/i);
    if (dialect === 'sqlite') {
      expect((await sql`pragma foreign_keys`.execute(handle.db)).rows).toEqual([{ foreign_keys: 1 }]);
      expect((await sql`pragma foreign_key_check`.execute(handle.db)).rows).toEqual([]);
    }
  });
});
