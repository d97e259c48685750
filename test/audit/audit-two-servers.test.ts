import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '@audit';
import { DEMO_PASSWORD, startApp, type AppServer } from '../helpers/app-server';
import { createTestDatabase, openTestDatabase, type DialectName, type TestDatabase } from '../helpers/databases';
import { HttpClient } from '../helpers/http-client';

const TRANSFERS_PER_CLIENT = 40;
const CLIENTS_PER_SERVER = 4;

/**
 * Two app processes on one database, writing audited transfers at once. SQLite (one file): every write transaction
 * starts with BEGIN IMMEDIATE and waits for the lock (busy_timeout), so none fails with SQLITE_BUSY (a 500).
 * PostgreSQL with AUDIT_WRITE_MODE=sequenced: the entries queued by both processes are sealed into one chain, each
 * before its request answers.
 */
describe.each<[DialectName, 'chained' | 'sequenced']>([
  ['sqlite', 'chained'],
  ['postgres', 'sequenced'],
])('two next start processes on one %s database (%s audit writes) under concurrent audited writes', (dialect, mode) => {
  let database: TestDatabase;
  let servers: AppServer[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    const env = { AUDIT_WRITE_MODE: mode };
    const first = await startApp({ databaseUrl: database.url, env });
    const second = await startApp({ databaseUrl: database.url, env, seed: false });
    servers = [first, second];
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await database?.drop();
  });

  // Hundreds of audited requests through two servers: minutes, not seconds, on a loaded 2-core machine.
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
            const res = await client.post(
              '/api/transfers',
              { toEmail: to, amountCents: 1 },
              { headers: { 'idempotency-key': crypto.randomUUID() } },
            );
            statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
            if (res.status >= 500) throw new Error(`${res.status}: ${res.text}`);
            // The entry is in the chain when the request answers, in either mode.
            const resource = `transfer:${(res.body as { transfer: { id: string } }).transfer.id}`;
            const row = await handle.db.selectFrom('audit_log').select('id').where('resource', '=', resource).executeTakeFirst();
            if (!row) throw new Error(`no audit entry for ${resource} when the request answered`);
          }
        }),
      );
      expect(Object.fromEntries(statuses)).toEqual({ 200: clients.length, 201: clients.length * TRANSFERS_PER_CLIENT });
      const status = await verifyAuditChain(handle);
      expect(status).toMatchObject({ ok: true, entries: before + clients.length * TRANSFERS_PER_CLIENT });
      const pending = await handle.db
        .selectFrom('audit_pending')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      expect(Number(pending.n)).toBe(0);
    } finally {
      await handle.close();
    }
    for (const server of servers) expect(server.logs.map((l) => l.line).join('\n')).not.toMatch(/SQLITE_BUSY/);
  }, 120000);
});
