import crypto from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import type { DatabaseHandle } from '../../src/server/db/connect';
import { startApp, type AppServer, type StartAppOptions } from './app-server';
import { createTestDatabase, openTestDatabase, type DialectName, type TestDatabase } from './databases';
import { HttpClient } from './http-client';

export interface SignedUpUser {
  client: HttpClient;
  id: string;
  email: string;
  password: string;
  name: string;
}

export interface AppFixture {
  app: AppServer;
  database: TestDatabase;
  /** The test's own connection to the server's database, for arranging and checking state. */
  db: DatabaseHandle;
  /** A fresh client with an empty cookie jar. */
  client(): HttpClient;
  /** Registers a new user through the API; the returned client is signed in as them. */
  signUp(options?: { balanceCents?: number; name?: string }): Promise<SignedUpUser>;
  /** Sets a user's balance directly in the database (registration starts everyone at 0). */
  setBalance(userId: string, cents: number): Promise<void>;
  balanceOf(userId: string): Promise<number>;
}

export const uniqueEmail = (prefix = 'user') => `${prefix}-${crypto.randomBytes(5).toString('hex')}@example.test`;

/**
 * Starts one app server on a fresh database of the dialect for the enclosing describe block and stops it
 * (and drops the database) afterwards. Call it at the top of a describe; use the returned getter in tests.
 */
export function useApp(dialect: DialectName, options: Omit<StartAppOptions, 'databaseUrl'> = {}): () => AppFixture {
  let fixture: AppFixture | undefined;
  let database: TestDatabase | undefined;
  let db: DatabaseHandle | undefined;
  let app: AppServer | undefined;

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    db = await openTestDatabase(database);
    app = await startApp({ ...options, databaseUrl: database.url });
    const handle = db;
    const server = app;
    const client = () => new HttpClient(server.url);
    const setBalance = async (userId: string, cents: number) => {
      await handle.db.updateTable('users').set({ balance_cents: cents }).where('id', '=', userId).execute();
    };
    fixture = {
      app: server,
      database,
      db: handle,
      client,
      setBalance,
      async balanceOf(userId) {
        const row = await handle.db.selectFrom('users').select('balance_cents').where('id', '=', userId).executeTakeFirstOrThrow();
        return row.balance_cents;
      },
      async signUp({ balanceCents = 0, name = 'Test User' } = {}) {
        const c = client();
        const email = uniqueEmail();
        const password = `pw-${crypto.randomBytes(8).toString('hex')}`;
        const res = await c.post('/api/auth/register', { email, password, name });
        if (res.status !== 201) throw new Error(`register answered ${res.status}: ${res.text}`);
        const id = res.body.user.id as string;
        if (balanceCents) await setBalance(id, balanceCents);
        return { client: c, id, email, password, name };
      },
    };
  });

  afterAll(async () => {
    await app?.stop();
    await db?.close();
    await database?.drop();
  });

  return () => {
    if (!fixture) throw new Error('useApp(): the app is not started (is the test inside the describe block?)');
    return fixture;
  };
}
