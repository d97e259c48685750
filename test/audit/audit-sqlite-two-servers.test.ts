import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '@audit';
import { DEMO_PASSWORD, startApp, type AppServer } from '../helpers/app-server';
import { createTestDatabase, openTestDatabase, type TestDatabase } from '../helpers/databases';
import { HttpClient } from '../helpers/http-client';

const TRANSFERS_PER_CLIENT = 40;
const CLIENTS_PER_SERVER = 4;

/**
 * Two app processes on one SQLite file, writing audited transfers at once: every write transaction starts with
 * BEGIN IMMEDIATE and waits for the lock (busy_timeout), so none fails with SQLITE_BUSY (a 500).
 */
describe('two next start processes on one SQLite file under concurrent audited writes', () => {
  let database: TestDatabase;
  let servers: AppServer[] = [];

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    const first = await startApp({ databaseUrl: database.url });
    const second = await startApp({ databaseUrl: database.url, seed: false });
    servers = [first, second];
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await database?.drop();
  });

  it('answers every request without a 500, and the chain stays one unbroken chain', async () => {
    const statuses = new Map<number, number>();
    const clients: { client: HttpClient; to: string }[] = [];
    for (const server of servers) {
      for (let i = 0; i < CLIENTS_PER_SERVER; i++) {
        const client = new HttpClient(server.url);
        const payer = i % 2 === 0 ? 'alice@drop.test' : 'bob@drop.test';
        const res = await client.login(payer, DEMO_PASSWORD);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        clients.push({ client, to: payer === 'alice@drop.test' ? 'bob@drop.test' : 'alice@drop.test' });
      }
    }
    const handle = await openTestDatabase(database);
    try {
      const before = (await verifyAuditChain(handle)).entries;
      await Promise.all(
        clients.map(async ({ client, to }) => {
          for (let i = 0; i < TRANSFERS_PER_CLIENT; i++) {
            const res = await client.post('/api/transfers', { toEmail: to, amountCents: 1 }, { headers: { 'idempotency-key': crypto.randomUUID() } });
            statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
            if (res.status >= 500) throw new Error(`${res.status}: ${res.text}`);
          }
        }),
      );
      expect(Object.fromEntries(statuses)).toEqual({ 200: clients.length, 201: clients.length * TRANSFERS_PER_CLIENT });
      const status = await verifyAuditChain(handle);
      expect(status).toMatchObject({ ok: true, entries: before + clients.length * TRANSFERS_PER_CLIENT });
    } finally {
      await handle.close();
    }
    for (const server of servers) expect(server.logs.map((l) => l.line).join('\n')).not.toMatch(/SQLITE_BUSY/);
  });
});
