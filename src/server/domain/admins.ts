import type { DatabaseHandle } from '../db/connect';
import type { User } from '../db/schema';
import { inTransaction } from '../db/transaction';
import { hashPassword } from '../auth/password';
import { recordAudit } from './audit';
import type { RequestContext } from './context';
import { notFound } from './errors';
import { createUser, findUserByEmail } from './users';

/** Who ran an operator command: no client address or user agent, the command's name in the entry's details. */
export interface OperatorCommand extends RequestContext {
  command: string;
}

/**
 * Creates a user with the admin role (a deploy's first admin), audited as `admin_created` in the same transaction.
 * An email already taken fails with `email_taken` (conflict) and writes nothing.
 */
export async function createAdmin(
  handle: DatabaseHandle,
  input: { email: string; name: string; password: string },
  origin: OperatorCommand,
): Promise<User> {
  const passwordHash = await hashPassword(input.password);
  return inTransaction(handle.db, async (tx) => {
    const user = await createUser(tx, { email: input.email, name: input.name, passwordHash, role: 'admin' });
    await recordAudit(tx, origin, {
      action: 'admin_created',
      resource: `user:${user.id}`,
      userId: user.id,
      details: { command: origin.command },
    });
    return user;
  });
}

/**
 * Gives an existing user the admin role, audited as `admin_promoted`. An admin already is left as is (nothing
 * written, `promoted: false`); an unknown email fails with `user_not_found`.
 */
export async function promoteToAdmin(
  handle: DatabaseHandle,
  email: string,
  origin: OperatorCommand,
): Promise<{ user: User; promoted: boolean }> {
  return inTransaction(handle.db, async (tx) => {
    const user = await findUserByEmail(tx, email);
    if (!user) throw notFound('user_not_found', 'No account has this email');
    if (user.role === 'admin') return { user, promoted: false };
    await tx.updateTable('users').set({ role: 'admin' }).where('id', '=', user.id).execute();
    await recordAudit(tx, origin, {
      action: 'admin_promoted',
      resource: `user:${user.id}`,
      userId: user.id,
      details: { command: origin.command, previousRole: user.role },
    });
    return { user: { ...user, role: 'admin' }, promoted: true };
  });
}
