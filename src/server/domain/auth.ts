import type { DatabaseHandle } from '../db/connect';
import type { Session, User } from '../db/schema';
import { inTransaction } from '../db/transaction';
import { hashPassword, verifyPassword } from '../auth/password';
import { assertLoginAllowed, recordLoginFailure, recordLoginSuccess } from '../auth/login-rate-limit';
import type { Actor, RequestContext } from './context';
import { DomainError, invalid } from './errors';
import { createSession, revokeOtherSessions } from './sessions';
import { createUser, findUserByEmail, findUserById, normalizeEmail } from './users';

export interface SignedIn {
  user: User;
  session: Session;
}

export async function register(
  handle: DatabaseHandle,
  input: { email: string; password: string; name: string },
  ctx: RequestContext,
): Promise<SignedIn> {
  const passwordHash = await hashPassword(input.password);
  return inTransaction(handle.db, async (tx) => {
    const user = await createUser(tx, { email: input.email, name: input.name, passwordHash });
    const session = await createSession(tx, user.id, ctx);
    return { user, session };
  });
}

const invalidCredentials = () => new DomainError('unauthenticated', 'invalid_credentials', 'Email or password is incorrect');

export async function login(
  handle: DatabaseHandle,
  input: { email: string; password: string },
  ctx: RequestContext,
): Promise<SignedIn> {
  const email = normalizeEmail(input.email);
  const ip = ctx.ip ?? 'unknown';
  await assertLoginAllowed(handle, email, ip);
  const user = await findUserByEmail(handle.db, email);
  // Unknown email and wrong password take the same time and give the same answer.
  const ok = await verifyPassword(user?.password_hash, input.password);
  if (!user || !ok) {
    await recordLoginFailure(handle, email, ip);
    throw invalidCredentials();
  }
  await recordLoginSuccess(handle, email, ip);
  const session = await inTransaction(handle.db, (tx) => createSession(tx, user.id, ctx));
  return { user, session };
}

export async function changePassword(
  handle: DatabaseHandle,
  actor: Actor,
  input: { currentPassword: string; newPassword: string },
): Promise<{ revokedSessions: number }> {
  const user = await findUserById(handle.db, actor.userId);
  if (!user || !(await verifyPassword(user.password_hash, input.currentPassword))) {
    throw invalid('invalid_current_password', 'Current password is incorrect');
  }
  if (input.currentPassword === input.newPassword) {
    throw invalid('password_unchanged', 'The new password must differ from the current one');
  }
  const passwordHash = await hashPassword(input.newPassword);
  return inTransaction(handle.db, async (tx) => {
    await tx.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', actor.userId).execute();
    return { revokedSessions: await revokeOtherSessions(tx, actor.userId, actor.sessionId) };
  });
}
