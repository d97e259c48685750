import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp } from '../helpers/app-server';
import { createTestDatabase, openTestDatabase, type TestDatabase } from '../helpers/databases';

/**
 * Attempt counters whose window has ended are removed by every app process (SQLite: nothing else would ever remove
 * them, and the table would grow with every address and email that ever tried), without DDL and in bounded batches.
 */
describe('the app on SQLite with expired attempt counters in rate_limits', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
  });
  afterAll(async () => database?.drop());

  it('removes them when it starts, and keeps the counters still counting', { timeout: 120_000 }, async () => {
    const handle = await openTestDatabase(database);
    const now = Date.now();
    try {
      for (let i = 0; i < 1_200; i++) {
        await sql`INSERT INTO rate_limits (key, points, expire) VALUES (${`login_ip:198.51.100.${i}`}, 4, ${now - 3_600_000})`.execute(
          handle.db,
        );
      }
      await sql`INSERT INTO rate_limits (key, points, expire) VALUES ('login_ip:203.0.113.9', 4, ${now + 3_600_000})`.execute(handle.db);
    } finally {
      await handle.close();
    }
    const app = await startApp({ databaseUrl: database.url, seed: false });
    try {
      const reopened = await openTestDatabase(database);
      try {
        const keys = async () => (await sql<{ key: string }>`SELECT key FROM rate_limits`.execute(reopened.db)).rows.map((r) => r.key);
        await expect.poll(keys, { timeout: 30_000 }).toEqual(['login_ip:203.0.113.9']);
      } finally {
        await reopened.close();
      }
    } finally {
      await app.stop();
    }
  });
});
