import crypto from 'node:crypto';
import type { Executor, Tx } from '../db/transaction';
import type { User } from '../db/schema';
import { isUniqueViolation } from '../db/errors';
import { conflict } from './errors';

export interface PublicUser {
  id: string;
  email: string;
  name: string;
  role: 'user' | 'admin';
  createdAt: string;
}

export const toPublicUser = (user: User): PublicUser => ({
  id: user.id,
  email: user.email,
  name: user.name,
  role: user.role,
  createdAt: new Date(user.created_at).toISOString(),
});

export const normalizeEmail = (email: string) => email.trim().toLowerCase();

/** `alice@drop.test` → `a***@drop.test`: the shared redaction policy's masking (otel/redact.ts). */
export { maskEmail } from '@otel';

export function findUserByEmail(db: Executor, email: string): Promise<User | undefined> {
  return db.selectFrom('users').selectAll().where('email', '=', normalizeEmail(email)).executeTakeFirst();
}

export function findUserById(db: Executor, id: string): Promise<User | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

export interface NewUserInput {
  email: string;
  name: string;
  passwordHash: string;
  role?: 'user' | 'admin';
  balanceCents?: number;
}

export async function createUser(tx: Tx, input: NewUserInput): Promise<User> {
  const user: User = {
    id: crypto.randomUUID(),
    email: normalizeEmail(input.email),
    name: input.name.trim(),
    password_hash: input.passwordHash,
    role: input.role ?? 'user',
    balance_cents: input.balanceCents ?? 0,
    created_at: Date.now(),
  };
  try {
    await tx.insertInto('users').values(user).execute();
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict('email_taken', 'An account with this email already exists');
    throw error;
  }
  return user;
}

/** Email by user id, for the ids that exist (audit views show who acted). */
export async function findUserEmails(db: Executor, ids: readonly string[]): Promise<Map<string, string>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  const rows = await db.selectFrom('users').select(['id', 'email']).where('id', 'in', unique).execute();
  return new Map(rows.map((r) => [r.id, r.email]));
}

/** Display names by user id (for "paid by …"), in one query. */
export async function findUserNames(db: Executor, ids: readonly string[]): Promise<Map<string, string>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  const rows = await db.selectFrom('users').select(['id', 'name']).where('id', 'in', unique).execute();
  return new Map(rows.map((r) => [r.id, r.name]));
}
