import type { DatabaseHandle } from '../db/connect';
import type { Session, User } from '../db/schema';
import { inTransaction } from '../db/transaction';
import { hashPassword, verifyPassword } from '../auth/password';
import { reserveLoginAttempt, type LoginAttempt } from '../auth/login-rate-limit';
import { emitLoginFailure, type LoginFailureReason } from '../auth/login-failure-event';
import { reservePasswordCheck } from '../auth/password-check-rate-limit';
import type { Reservation } from '../auth/attempt-limiter';
import { reserveRegistration } from '../auth/registration-rate-limit';
import { recordAudit, recordAuditAlone } from './audit';
import type { Actor, RequestContext } from './context';
import { DomainError, invalid } from './errors';
import { createSession, rotateSessions } from './sessions';
import { createUser, findUserByEmail, findUserById, maskEmail, normalizeEmail } from './users';

export interface SignedIn {
  user: User;
  session: Session;
}

const isRateLimited = (error: unknown) => error instanceof DomainError && error.kind === 'rate_limited';

export async function register(
  handle: DatabaseHandle,
  input: { email: string; password: string; name: string },
  ctx: RequestContext,
): Promise<SignedIn> {
  // Counted before the hash, and kept whatever happens next: the hash is the cost being bounded.
  try {
    await reserveRegistration(handle, ctx.ip ?? 'unknown');
  } catch (error) {
    if (isRateLimited(error)) {
      await recordAuditAlone(handle.db, ctx, {
        action: 'register',
        outcome: 'failure',
        resource: 'user:unknown',
        userId: null,
        details: { reason: 'rate_limited', email: maskEmail(normalizeEmail(input.email)) },
      });
    }
    throw error;
  }
  const passwordHash = await hashPassword(input.password);
  return inTransaction(handle.db, async (tx) => {
    const user = await createUser(tx, { email: input.email, name: input.name, passwordHash });
    await recordAudit(tx, ctx, { action: 'register', resource: `user:${user.id}`, userId: user.id });
    const session = await createSession(tx, user.id, ctx);
    return { user, session };
  });
}

const invalidCredentials = () => new DomainError('unauthenticated', 'invalid_credentials', 'Email or password is incorrect');

/**
 * A refused login is recorded in its own transaction: the request fails, the attempt stays on record; once it has
 * committed, the failed-login watch is told (login-failure-event.ts).
 */
async function recordLoginFailureEntry(
  handle: DatabaseHandle,
  ctx: RequestContext,
  email: string,
  reason: LoginFailureReason,
  user?: User,
): Promise<void> {
  const known = user ?? (reason === 'rate_limited' ? await findUserByEmail(handle.db, email) : undefined);
  await recordAuditAlone(handle.db, ctx, {
    action: 'login_failure',
    outcome: 'failure',
    resource: known ? `user:${known.id}` : 'user:unknown',
    userId: known?.id ?? null,
    // Not a user of ours: keep only enough of the address to spot a pattern (first character and domain).
    details: known ? { reason } : { reason, email: maskEmail(email) },
  });
  emitLoginFailure({ userId: known?.id ?? null, email, ip: ctx.ip, reason });
}

export async function login(handle: DatabaseHandle, input: { email: string; password: string }, ctx: RequestContext): Promise<SignedIn> {
  const email = normalizeEmail(input.email);
  const ip = ctx.ip ?? 'unknown';
  let attempt: LoginAttempt;
  try {
    attempt = await reserveLoginAttempt(handle, email, ip);
  } catch (error) {
    if (isRateLimited(error)) await recordLoginFailureEntry(handle, ctx, email, 'rate_limited');
    throw error;
  }
  let user: User | undefined;
  let ok: boolean;
  try {
    user = await findUserByEmail(handle.db, email);
    // Unknown email and wrong password take the same time and give the same answer.
    ok = await verifyPassword(user?.password_hash, input.password);
  } catch (error) {
    // The password was not checked: give the attempt back (a failing refund must not hide the first error).
    await attempt.abandoned().catch(() => undefined);
    throw error;
  }
  if (!user || !ok) {
    // The attempt stays counted: it was a failure.
    await recordLoginFailureEntry(handle, ctx, email, user ? 'wrong_password' : 'unknown_email', user);
    throw invalidCredentials();
  }
  await attempt.succeeded();
  const signedIn = user;
  const session = await inTransaction(handle.db, async (tx) => {
    await recordAudit(tx, ctx, { action: 'login_success', resource: `user:${signedIn.id}`, userId: signedIn.id });
    return createSession(tx, signedIn.id, ctx);
  });
  return { user: signedIn, session };
}

/** A refused password change, recorded in its own transaction: someone holding a session but not the password. */
function recordPasswordChangeFailure(handle: DatabaseHandle, actor: Actor, reason: 'invalid_current_password' | 'rate_limited') {
  return recordAuditAlone(handle.db, actor, {
    action: 'password_change',
    outcome: 'failure',
    resource: `user:${actor.userId}`,
    userId: actor.userId,
    details: { reason },
  });
}

export async function changePassword(
  handle: DatabaseHandle,
  actor: Actor,
  input: { currentPassword: string; newPassword: string },
): Promise<{ revokedSessions: number; session: Session }> {
  let check: Reservation;
  try {
    check = await reservePasswordCheck(handle, actor.userId, actor.ip ?? 'unknown');
  } catch (error) {
    if (isRateLimited(error)) await recordPasswordChangeFailure(handle, actor, 'rate_limited');
    throw error;
  }
  let verified: boolean;
  try {
    const user = await findUserById(handle.db, actor.userId);
    verified = user !== undefined && (await verifyPassword(user.password_hash, input.currentPassword));
  } catch (error) {
    // Never checked: everything is given back, the hash budget too.
    await check.refund([]).catch(() => undefined);
    throw error;
  }
  if (!verified) {
    await recordPasswordChangeFailure(handle, actor, 'invalid_current_password');
    throw invalid('invalid_current_password', 'Current password is incorrect');
  }
  await check.refund();
  if (input.currentPassword === input.newPassword) {
    throw invalid('password_unchanged', 'The new password must differ from the current one');
  }
  const passwordHash = await hashPassword(input.newPassword);
  return inTransaction(handle.db, async (tx) => {
    await tx.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', actor.userId).execute();
    // Every session ends, this one too: the caller continues on a new one (a stolen copy of its cookie is worthless).
    const { session, revokedOthers: revokedSessions } = await rotateSessions(tx, actor, 'password_change');
    await recordAudit(tx, actor, {
      action: 'password_change',
      resource: `user:${actor.userId}`,
      userId: actor.userId,
      details: { revokedSessions },
    });
    return { revokedSessions, session };
  });
}
