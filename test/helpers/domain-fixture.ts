import crypto from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import type { DatabaseHandle } from '../../src/server/db/connect';
import type { User } from '../../src/server/db/schema';
import { inTransaction } from '../../src/server/db/transaction';
import type { Actor } from '../../src/server/domain/context';
import { createSession } from '../../src/server/domain/sessions';
import { createUser } from '../../src/server/domain/users';
import { createTestDatabase, openTestDatabase, type DialectName, type TestDatabase } from './databases';

/**
 * A fresh, migrated database of the dialect for the enclosing describe block, dropped afterwards.
 * Call it at the top of a describe; use the returned getter in tests.
 */
export function useDatabase(dialect: DialectName): () => DatabaseHandle {
  let database: TestDatabase | undefined;
  let handle: DatabaseHandle | undefined;
  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    handle = await openTestDatabase(database);
  });
  afterAll(async () => {
    await handle?.close();
    await database?.drop();
  });
  return () => {
    if (!handle) throw new Error('useDatabase(): the database is not open (is the test inside the describe block?)');
    return handle;
  };
}

/** A user with a balance; its password hash is a placeholder no password verifies against. */
export function makeUser(
  handle: DatabaseHandle,
  options: { balanceCents?: number; role?: 'user' | 'admin'; passwordHash?: string } = {},
): Promise<User> {
  const tag = crypto.randomBytes(5).toString('hex');
  return inTransaction(handle.db, (tx) =>
    createUser(tx, {
      email: `user-${tag}@example.test`,
      name: `User ${tag}`,
      passwordHash: options.passwordHash ?? 'not-a-password-hash',
      role: options.role,
      balanceCents: options.balanceCents ?? 0,
    }),
  );
}

/** The user signed in: a live session, as the HTTP layer would pass it to the domain. */
export async function actorFor(handle: DatabaseHandle, user: User): Promise<Actor> {
  const ctx = { ip: '127.0.0.1', userAgent: 'vitest' };
  const session = await inTransaction(handle.db, (tx) => createSession(tx, user.id, ctx));
  return { ...ctx, userId: user.id, sessionId: session.id, role: user.role };
}

export async function balanceOf(handle: DatabaseHandle, userId: string): Promise<number> {
  const row = await handle.db.selectFrom('users').select('balance_cents').where('id', '=', userId).executeTakeFirstOrThrow();
  return row.balance_cents;
}

/**
 * Makes `parties` concurrent transactions wait for each other before they go on, so their statements really
 * interleave. PostgreSQL only: SQLite has one connection and runs transactions one after another, where
 * waiting for the others would never end, so there each party passes at once.
 */
export function rendezvous(dialect: DialectName, parties: number, timeoutMs = 10_000): () => Promise<void> {
  if (dialect === 'sqlite') return async () => undefined;
  let arrived = 0;
  let release!: () => void;
  const allThere = new Promise<void>((resolve) => (release = resolve));
  return async () => {
    arrived += 1;
    if (arrived === parties) release();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`only ${arrived} of ${parties} transactions arrived (pool too small?)`)), timeoutMs);
    });
    try {
      await Promise.race([allThere, timeout]);
    } finally {
      clearTimeout(timer);
    }
  };
}

/** Settles all and sorts the outcomes, for "exactly one succeeded" assertions. */
export async function outcomes<T>(promises: Promise<T>[]) {
  const settled = await Promise.allSettled(promises);
  return {
    fulfilled: settled.filter((s): s is PromiseFulfilledResult<Awaited<T>> => s.status === 'fulfilled').map((s) => s.value),
    rejected: settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected').map((s) => s.reason as unknown),
  };
}
