import { describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../test/helpers/databases';
import { actorFor, makeUser, useDatabase } from '../../../test/helpers/domain-fixture';
import { inTransaction } from '../db/transaction';
import { createSession, findActiveSession, listSessions, revokeSession, rotateSessions } from './sessions';

describe.each(DIALECTS)('sessions on %s', (dialect) => {
  const handle = useDatabase(dialect);
  const revoke = (userId: string, sessionId: string) =>
    inTransaction(handle().db, (tx) =>
      revokeSession(tx, { userId, sessionId: 'none', role: 'user', ip: null, userAgent: null }, sessionId),
    );

  it('finds a live session with its user, and records where it was created', async () => {
    const user = await makeUser(handle());
    const session = await inTransaction(handle().db, (tx) =>
      createSession(tx, user.id, { ip: '203.0.113.9', userAgent: `agent ${'x'.repeat(600)}` }),
    );
    expect(session).toMatchObject({ user_id: user.id, ip: '203.0.113.9', revoked_at: null });
    expect(session.user_agent).toHaveLength(512);
    expect(session.expires_at).toBeGreaterThan(Date.now());
    const found = await findActiveSession(handle().db, session.id, user.id);
    expect(found?.user.id).toBe(user.id);
    expect(found?.session.id).toBe(session.id);
  });

  it('does not find a session under another user id (a token cannot borrow a session)', async () => {
    const owner = await makeUser(handle());
    const other = await makeUser(handle());
    const { sessionId } = await actorFor(handle(), owner);
    expect(await findActiveSession(handle().db, sessionId, other.id)).toBeUndefined();
  });

  it('ends a revoked session: it is no longer found or listed, and revoking it again is not found', async () => {
    const user = await makeUser(handle());
    const { sessionId } = await actorFor(handle(), user);
    await revoke(user.id, sessionId);
    expect(await findActiveSession(handle().db, sessionId, user.id)).toBeUndefined();
    expect(await listSessions(handle().db, user.id, sessionId)).toEqual([]);
    await expect(revoke(user.id, sessionId)).rejects.toMatchObject({ kind: 'not_found', code: 'session_not_found' });
  });

  it("refuses to revoke another user's session (not found) and leaves it alive", async () => {
    const owner = await makeUser(handle());
    const intruder = await makeUser(handle());
    const { sessionId } = await actorFor(handle(), owner);
    await expect(revoke(intruder.id, sessionId)).rejects.toMatchObject({ kind: 'not_found', code: 'session_not_found' });
    expect(await findActiveSession(handle().db, sessionId, owner.id)).toBeDefined();
  });

  it('does not find or list an expired session', async () => {
    const user = await makeUser(handle());
    const { sessionId } = await actorFor(handle(), user);
    await handle()
      .db.updateTable('sessions')
      .set({ expires_at: Date.now() - 1 })
      .where('id', '=', sessionId)
      .execute();
    expect(await findActiveSession(handle().db, sessionId, user.id)).toBeUndefined();
    expect(await listSessions(handle().db, user.id, sessionId)).toEqual([]);
  });

  it('lists live sessions, most recently seen first, marking the current one', async () => {
    const user = await makeUser(handle());
    const older = await actorFor(handle(), user);
    const current = await actorFor(handle(), user);
    await handle()
      .db.updateTable('sessions')
      .set({ last_seen_at: Date.now() - 3_600_000 })
      .where('id', '=', older.sessionId)
      .execute();
    const list = await listSessions(handle().db, user.id, current.sessionId);
    expect(list).toEqual([
      {
        id: current.sessionId,
        createdAt: expect.any(String),
        lastSeenAt: expect.any(String),
        ip: '127.0.0.1',
        userAgent: 'vitest',
        current: true,
      },
      {
        id: older.sessionId,
        createdAt: expect.any(String),
        lastSeenAt: expect.any(String),
        ip: '127.0.0.1',
        userAgent: 'vitest',
        current: false,
      },
    ]);
  });

  it('refreshes last seen on use, at most once a minute', async () => {
    const user = await makeUser(handle());
    const { sessionId } = await actorFor(handle(), user);
    const longAgo = Date.now() - 10 * 60_000;
    await handle().db.updateTable('sessions').set({ last_seen_at: longAgo }).where('id', '=', sessionId).execute();
    const found = await findActiveSession(handle().db, sessionId, user.id);
    expect(found?.session.last_seen_at).toBeGreaterThan(longAgo);
    const stored = await handle().db.selectFrom('sessions').select('last_seen_at').where('id', '=', sessionId).executeTakeFirstOrThrow();
    expect(stored.last_seen_at).toBe(found?.session.last_seen_at);
  });

  it("rotates: revokes all the user's sessions, the current one too, and opens a new one; other users' stay", async () => {
    const user = await makeUser(handle());
    const other = await makeUser(handle());
    const current = await actorFor(handle(), user);
    const gone = [await actorFor(handle(), user), await actorFor(handle(), user)];
    const othersSession = await actorFor(handle(), other);
    const { session, revokedOthers } = await inTransaction(handle().db, (tx) => rotateSessions(tx, current, 'password_change'));
    expect(revokedOthers).toBe(2);
    expect(session.id).not.toBe(current.sessionId);
    expect(await findActiveSession(handle().db, session.id, user.id)).toBeDefined();
    expect(await findActiveSession(handle().db, current.sessionId, user.id)).toBeUndefined();
    for (const s of gone) expect(await findActiveSession(handle().db, s.sessionId, user.id)).toBeUndefined();
    expect(await findActiveSession(handle().db, othersSession.sessionId, other.id)).toBeDefined();
  });

  it("refuses and revokes a session once its user's role changed (admin granted or revoked), with an audit entry", async () => {
    const user = await makeUser(handle());
    const { sessionId } = await actorFor(handle(), user);
    expect(await findActiveSession(handle().db, sessionId, user.id)).toBeDefined();
    await handle().db.updateTable('users').set({ role: 'admin' }).where('id', '=', user.id).execute();
    expect(await findActiveSession(handle().db, sessionId, user.id)).toBeUndefined();
    const row = await handle().db.selectFrom('sessions').select('revoked_at').where('id', '=', sessionId).executeTakeFirstOrThrow();
    expect(row.revoked_at).not.toBeNull();
    const entries = await handle()
      .db.selectFrom('audit_log')
      .select(['action', 'details'])
      .where('resource', '=', `session:${sessionId}`)
      .where('action', '=', 'session_revoked')
      .execute();
    expect(entries.map((e) => JSON.parse(e.details))).toEqual([{ reason: 'privilege_change', issuedFor: 'user', role: 'admin' }]);
    // A session issued now carries the new role and works.
    const fresh = await actorFor(handle(), { ...user, role: 'admin' });
    expect(await findActiveSession(handle().db, fresh.sessionId, user.id)).toMatchObject({ user: { role: 'admin' } });
  });
});
