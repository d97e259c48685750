import crypto from 'node:crypto';
import type { Kysely } from 'kysely';
import { inTransaction, type Executor, type Tx } from '../db/transaction';
import type { Database, Session, User } from '../db/schema';
import { serverConfig } from '../config';
import { recordAudit } from './audit';
import type { Actor, RequestContext } from './context';
import { notFound } from './errors';
import { withRefusalRecorded } from './refusals';

/** last_seen_at is refreshed at most this often, so reads do not turn into writes. */
const TOUCH_INTERVAL_MS = 60_000;

export interface SessionView {
  id: string;
  createdAt: string;
  lastSeenAt: string;
  ip: string | null;
  userAgent: string | null;
  current: boolean;
}

export async function createSession(tx: Tx, userId: string, ctx: RequestContext): Promise<Session> {
  const now = Date.now();
  const { role } = await tx.selectFrom('users').select('role').where('id', '=', userId).executeTakeFirstOrThrow();
  const session: Session = {
    id: crypto.randomUUID(),
    user_id: userId,
    created_at: now,
    last_seen_at: now,
    expires_at: now + serverConfig().sessionTtlMs,
    revoked_at: null,
    ip: ctx.ip,
    user_agent: ctx.userAgent?.slice(0, 512) ?? null,
    role,
  };
  await tx.insertInto('sessions').values(session).execute();
  await recordAudit(tx, ctx, {
    action: 'session_created',
    resource: `session:${session.id}`,
    userId,
    details: { expiresAt: new Date(session.expires_at).toISOString() },
  });
  return session;
}

/** The live session and its user, or undefined when the session is unknown, revoked, expired or not the user's. */
export async function findActiveSession(
  db: Executor,
  sessionId: string,
  userId: string,
): Promise<{ session: Session; user: User } | undefined> {
  const now = Date.now();
  const session = await db
    .selectFrom('sessions')
    .selectAll()
    .where('id', '=', sessionId)
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  if (!session) return undefined;
  const user = await db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirst();
  if (!user) return undefined;
  if (session.role !== null && session.role !== user.role) {
    await revokeForPrivilegeChange(db, session, user.role);
    return undefined;
  }
  if (now - session.last_seen_at > TOUCH_INTERVAL_MS) {
    await db.updateTable('sessions').set({ last_seen_at: now }).where('id', '=', session.id).execute();
    session.last_seen_at = now;
  }
  return { session, user };
}

/**
 * The user's role changed since this session was issued (admin granted or revoked, by whatever means): the session
 * ends, with a `session_revoked` entry, and the new privileges come only with a new sign-in — never on a session
 * issued for other ones. Runs once per such session (the update is conditional).
 */
async function revokeForPrivilegeChange(db: Executor, session: Session, role: User['role']): Promise<void> {
  await inTransaction(db, async (tx) => {
    const result = await tx
      .updateTable('sessions')
      .set({ revoked_at: Date.now() })
      .where('id', '=', session.id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) return;
    await recordAudit(
      tx,
      { ip: null, userAgent: null },
      {
        action: 'session_revoked',
        resource: `session:${session.id}`,
        userId: session.user_id,
        details: { reason: 'privilege_change', issuedFor: session.role, role },
      },
    );
  });
}

export async function listSessions(db: Executor, userId: string, currentSessionId: string): Promise<SessionView[]> {
  const rows = await db
    .selectFrom('sessions')
    .selectAll()
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', Date.now())
    .orderBy('last_seen_at', 'desc')
    .execute();
  return rows.map((s) => ({
    id: s.id,
    createdAt: new Date(s.created_at).toISOString(),
    lastSeenAt: new Date(s.last_seen_at).toISOString(),
    ip: s.ip,
    userAgent: s.user_agent,
    current: s.id === currentSessionId,
  }));
}

async function revokeLiveSession(tx: Tx, userId: string, sessionId: string): Promise<void> {
  const result = await tx
    .updateTable('sessions')
    .set({ revoked_at: Date.now() })
    .where('id', '=', sessionId)
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  if (result.numUpdatedRows === 0n) throw notFound('session_not_found', 'No such session');
}

/** Revokes one of the user's own live sessions; anyone else's (or an unknown id) is not found. */
export async function revokeSession(tx: Tx, actor: Actor, sessionId: string): Promise<void> {
  await revokeLiveSession(tx, actor.userId, sessionId);
  await recordAudit(tx, actor, {
    action: 'session_revoked',
    resource: `session:${sessionId}`,
    userId: actor.userId,
    details: { reason: 'user_request' },
  });
}

/** revokeSession in its own transaction; refused (not one of the caller's live sessions), recorded as `session_revoked` failure. */
export function attemptRevokeSession(db: Kysely<Database>, actor: Actor, sessionId: string): Promise<void> {
  return withRefusalRecorded(
    db,
    actor,
    (tx) => revokeSession(tx, actor, sessionId),
    () => ({ fact: { action: 'session_revoked', resource: `session:${sessionId}`, userId: actor.userId } }),
  );
}

/** Ends the caller's own session: one `logout` entry (not also `session_revoked`). */
export async function signOut(tx: Tx, actor: Actor): Promise<void> {
  await revokeLiveSession(tx, actor.userId, actor.sessionId);
  await recordAudit(tx, actor, { action: 'logout', resource: `session:${actor.sessionId}`, userId: actor.userId });
}

/**
 * Ends every live session of the caller, the current one included (one `session_revoked` entry each, in id
 * order), and opens a new one for the caller: after a password change the cookie that made it, and any copy of it,
 * is worth nothing. Returns the new session and how many sessions besides the current one were revoked.
 */
export async function rotateSessions(tx: Tx, actor: Actor, reason: string): Promise<{ session: Session; revokedOthers: number }> {
  const revoked = await tx
    .updateTable('sessions')
    .set({ revoked_at: Date.now() })
    .where('user_id', '=', actor.userId)
    .where('revoked_at', 'is', null)
    .returning('id')
    .execute();
  for (const { id } of revoked.sort((a, b) => a.id.localeCompare(b.id))) {
    await recordAudit(tx, actor, { action: 'session_revoked', resource: `session:${id}`, userId: actor.userId, details: { reason } });
  }
  const session = await createSession(tx, actor.userId, actor);
  return { session, revokedOthers: revoked.filter((r) => r.id !== actor.sessionId).length };
}
