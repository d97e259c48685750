import type { Kysely } from 'kysely';
import { hashPassword } from '../auth/password';
import { serverConfig } from '../config';
import { createUser, normalizeEmail } from '../domain/users';
import { inTransaction } from './transaction';
import type { Database } from './schema';

export const DEMO_USERS = [
  { email: 'admin@drop.test', name: 'Ada Admin', role: 'admin', balanceCents: 0 },
  { email: 'alice@drop.test', name: 'Alice Example', role: 'user', balanceCents: 100_000 },
  { email: 'bob@drop.test', name: 'Bob Example', role: 'user', balanceCents: 50_000 },
] as const;

export const DEFAULT_DEMO_PASSWORD = 'drop-demo-password';

export function demoPassword(): string {
  const fromEnv = process.env.DEMO_PASSWORD;
  if (fromEnv) return fromEnv;
  if (serverConfig().production) throw new Error('DEMO_PASSWORD is required to seed in production');
  return DEFAULT_DEMO_PASSWORD;
}

/** Creates the demo users that do not exist yet; existing ones are left as they are. */
export async function seedDemoUsers(db: Kysely<Database>, password = demoPassword()): Promise<string[]> {
  const passwordHash = await hashPassword(password);
  const created: string[] = [];
  for (const demo of DEMO_USERS) {
    const exists = await db.selectFrom('users').select('id').where('email', '=', normalizeEmail(demo.email)).executeTakeFirst();
    if (exists) continue;
    await inTransaction(db, (tx) => createUser(tx, { ...demo, passwordHash }));
    created.push(demo.email);
  }
  return created;
}

/**
 * The demo accounts this database has, in DEMO_USERS order: /login names only these, so a deploy that was never
 * seeded advertises no account, whatever DROP_DEMO says.
 */
export async function presentDemoAccounts(db: Kysely<Database>): Promise<string[]> {
  const emails = DEMO_USERS.map((demo) => normalizeEmail(demo.email));
  const rows = await db.selectFrom('users').select('email').where('email', 'in', emails).execute();
  const present = new Set(rows.map((row) => row.email));
  return emails.filter((email) => present.has(email));
}
