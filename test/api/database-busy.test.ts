import crypto from 'node:crypto';
import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, startApp, type AppServer } from '../helpers/app-server';
import { createTestDatabase, type TestDatabase } from '../helpers/databases';
import { HttpClient } from '../helpers/http-client';

/**
 * Another process holding SQLite's write lock past busy_timeout (5 s): the write fails with SQLITE_BUSY, which the
 * API answers as a 503 with Retry-After and the JSON error shape, not a 500. Nothing is written.
 */
describe('SQLite write lock held past busy_timeout', () => {
  let database: TestDatabase;
  let server: AppServer;
  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    server = await startApp({ databaseUrl: database.url });
  });
  afterAll(async () => {
    await server?.stop();
    await database?.drop();
  });

  it('answers 503 database_busy with Retry-After, and the retry succeeds once the lock is gone', { timeout: 60_000 }, async () => {
    const alice = new HttpClient(server.url);
    await alice.login('alice@drop.test', DEMO_PASSWORD);
    const transfer = () =>
      alice.post('/api/transfers', { toEmail: 'bob@drop.test', amountCents: 100 }, { headers: { 'idempotency-key': crypto.randomUUID() } });

    const holder = new SQLite(database.url.slice('file:'.length));
    holder.exec('BEGIN IMMEDIATE');
    let busy;
    try {
      busy = await transfer();
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    expect(busy.status, busy.text).toBe(503);
    expect(busy.headers.get('retry-after')).toBe('1');
    expect(busy.body).toEqual({ error: { code: 'database_busy', message: expect.any(String) } });
    expect(busy.text).not.toMatch(/SQLITE|stack/i);

    const retried = await transfer();
    expect(retried.status, retried.text).toBe(201);
  });
});
