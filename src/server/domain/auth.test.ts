import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { uniqueAddress, uniqueEmail } from '../../../test/helpers/stack';
import { DIALECTS } from '../../../test/helpers/databases';
import { useDatabase } from '../../../test/helpers/domain-fixture';
import { LOGIN_WINDOW_SECONDS, MAX_FAILURES_PER_EMAIL_AND_IP } from '../auth/login-rate-limit';
import { MAX_PASSWORD_CHECK_FAILURES_PER_USER } from '../auth/password-check-rate-limit';
import { MAX_REGISTRATIONS_PER_ADDRESS, REGISTRATION_WINDOW_SECONDS } from '../auth/registration-rate-limit';
import type { Actor, RequestContext } from './context';
import { changePassword, login, register } from './auth';
import { findActiveSession } from './sessions';

const ctx = (ip = '198.51.100.7'): RequestContext => ({ ip, userAgent: 'vitest' });

describe.each(DIALECTS)('auth on %s', (dialect) => {
  const handle = useDatabase(dialect);

  async function registered(password = 'correct horse battery') {
    const email = uniqueEmail('auth');
    const { user, session } = await register(handle(), { email, password, name: ' Ann Example ' }, ctx(uniqueAddress()));
    const actor: Actor = { ...ctx(), userId: user.id, sessionId: session.id, role: user.role };
    return { email, password, user, session, actor };
  }

  it('registers a user with a hashed password, a normalized email and a first session', async () => {
    const { email, user, session, password } = await registered();
    expect(user).toMatchObject({ email, name: 'Ann Example', role: 'user', balance_cents: 0 });
    expect(user.password_hash).toMatch(/^\$argon2id\$/);
    expect(user.password_hash).not.toContain(password);
    expect(await findActiveSession(handle().db, session.id, user.id)).toBeDefined();
  });

  it('refuses a second account for the same email, whatever its case (409 email_taken)', async () => {
    const { email } = await registered();
    await expect(
      register(handle(), { email: email.toUpperCase(), password: 'another password', name: 'X' }, ctx(uniqueAddress())),
    ).rejects.toMatchObject({
      kind: 'conflict',
      code: 'email_taken',
    });
  });

  it('logs in with the right password and answers the same for a wrong password and an unknown email', async () => {
    const { email, password, user } = await registered();
    const ok = await login(handle(), { email: email.toUpperCase(), password }, ctx());
    expect(ok.user.id).toBe(user.id);
    const wrong = await login(handle(), { email, password: 'wrong password' }, ctx('198.51.100.8')).catch((e: unknown) => e);
    const unknown = await login(handle(), { email: uniqueEmail('nobody'), password }, ctx('198.51.100.8')).catch((e: unknown) => e);
    expect(wrong).toMatchObject({ kind: 'unauthenticated', code: 'invalid_credentials' });
    expect(unknown).toMatchObject({ kind: 'unauthenticated', code: 'invalid_credentials', message: (wrong as Error).message });
  });

  it('rate-limits an email from one address after five failures, even for the right password, but not from another address', async () => {
    const { email, password } = await registered();
    for (let i = 0; i < MAX_FAILURES_PER_EMAIL_AND_IP; i++) {
      await expect(login(handle(), { email, password: `wrong-${i}` }, ctx('192.0.2.1'))).rejects.toMatchObject({
        code: 'invalid_credentials',
      });
    }
    const limited = await login(handle(), { email, password }, ctx('192.0.2.1')).catch((e: unknown) => e);
    expect(limited).toMatchObject({ kind: 'rate_limited', code: 'rate_limited' });
    const retryAfter = (limited as { retryAfterSeconds: number }).retryAfterSeconds;
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(LOGIN_WINDOW_SECONDS);
    await expect(login(handle(), { email, password }, ctx('192.0.2.2'))).resolves.toMatchObject({ user: { email } });
  });

  it('forgets earlier failures from an address after a successful login there', async () => {
    const { email, password } = await registered();
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < MAX_FAILURES_PER_EMAIL_AND_IP - 1; i++) {
        await expect(login(handle(), { email, password: 'nope' }, ctx('192.0.2.3'))).rejects.toMatchObject({ code: 'invalid_credentials' });
      }
      await expect(login(handle(), { email, password }, ctx('192.0.2.3'))).resolves.toMatchObject({ user: { email } });
    }
  });

  it('limits registrations per address, failed ones included, with a Retry-After and an audit row; other addresses go on', async () => {
    const address = uniqueAddress();
    const taken = uniqueEmail('taken');
    await register(handle(), { email: taken, password: 'long enough password', name: 'First' }, ctx(address));
    // A refused email still cost a hash: it counts.
    await expect(register(handle(), { email: taken, password: 'long enough password', name: 'Again' }, ctx(address))).rejects.toMatchObject(
      {
        code: 'email_taken',
      },
    );
    for (let i = 2; i < MAX_REGISTRATIONS_PER_ADDRESS; i++) {
      await register(handle(), { email: uniqueEmail('many'), password: 'long enough password', name: `N ${i}` }, ctx(address));
    }
    const refusedEmail = uniqueEmail('refused');
    const refused = await register(handle(), { email: refusedEmail, password: 'long enough password', name: 'R' }, ctx(address)).catch(
      (e: unknown) => e,
    );
    expect(refused).toMatchObject({ kind: 'rate_limited', code: 'rate_limited' });
    const retryAfter = (refused as { retryAfterSeconds: number }).retryAfterSeconds;
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(REGISTRATION_WINDOW_SECONDS);
    const users = await handle().db.selectFrom('users').select('id').where('email', '=', refusedEmail).execute();
    expect(users).toEqual([]);
    const audit = await handle()
      .db.selectFrom('audit_log')
      .select(['user_id', 'resource', 'details'])
      .where('action', '=', 'register')
      .where('outcome', '=', 'failure')
      .execute();
    expect(audit.map((row) => JSON.parse(row.details) as unknown)).toContainEqual({ reason: 'rate_limited', email: 'r***@example.test' });
    await expect(
      register(handle(), { email: uniqueEmail('elsewhere'), password: 'long enough password', name: 'E' }, ctx(uniqueAddress())),
    ).resolves.toMatchObject({ user: { name: 'E' } });
  });

  /** Runs `action` while the users table is away, so that looking a user up fails as a broken database would. */
  async function withUsersTableGone<T>(action: () => Promise<T>): Promise<T> {
    await sql`ALTER TABLE users RENAME TO users_away`.execute(handle().db);
    try {
      return await action();
    } finally {
      await sql`ALTER TABLE users_away RENAME TO users`.execute(handle().db);
    }
  }

  it('gives a login attempt back when the user lookup fails: the budget is intact afterwards', async () => {
    const { email, password } = await registered();
    const address = uniqueAddress();
    for (let i = 0; i < MAX_FAILURES_PER_EMAIL_AND_IP; i++) {
      await expect(
        withUsersTableGone(() => login(handle(), { email, password: 'wrong password' }, ctx(address))),
      ).rejects.not.toMatchObject({
        kind: expect.any(String),
      });
    }
    // Every failed lookup gave its attempt back: all the budget is left (the last of them, with the right password, succeeds).
    for (let i = 0; i < MAX_FAILURES_PER_EMAIL_AND_IP - 1; i++) {
      await expect(login(handle(), { email, password: `wrong ${i}` }, ctx(address))).rejects.toMatchObject({ code: 'invalid_credentials' });
    }
    await expect(login(handle(), { email, password }, ctx(address))).resolves.toMatchObject({ user: { email } });
  });

  describe('changing the password', () => {
    it('revokes every other session of the user, rotates the current one, and swaps the password', async () => {
      const { email, password, actor } = await registered();
      const laptop = await login(handle(), { email, password }, ctx());
      const phone = await login(handle(), { email, password }, ctx());
      const result = await changePassword(handle(), actor, { currentPassword: password, newPassword: 'a brand new password' });
      expect(result.revokedSessions).toBe(2);
      expect(await findActiveSession(handle().db, actor.sessionId, actor.userId)).toBeUndefined();
      expect(await findActiveSession(handle().db, result.session.id, actor.userId)).toBeDefined();
      expect(await findActiveSession(handle().db, laptop.session.id, actor.userId)).toBeUndefined();
      expect(await findActiveSession(handle().db, phone.session.id, actor.userId)).toBeUndefined();
      await expect(login(handle(), { email, password }, ctx('192.0.2.50'))).rejects.toMatchObject({ code: 'invalid_credentials' });
      await expect(login(handle(), { email, password: 'a brand new password' }, ctx('192.0.2.50'))).resolves.toBeDefined();
    });

    it('requires the current password and a different new one, changing nothing otherwise', async () => {
      const { email, password, actor } = await registered();
      const other = await login(handle(), { email, password }, ctx());
      await expect(changePassword(handle(), actor, { currentPassword: 'not it', newPassword: 'whatever else' })).rejects.toMatchObject({
        kind: 'invalid',
        code: 'invalid_current_password',
      });
      await expect(changePassword(handle(), actor, { currentPassword: password, newPassword: password })).rejects.toMatchObject({
        kind: 'invalid',
        code: 'password_unchanged',
      });
      expect(await findActiveSession(handle().db, other.session.id, actor.userId)).toBeDefined();
      await expect(login(handle(), { email, password }, ctx('192.0.2.60'))).resolves.toBeDefined();
    });
    it('gives the check back when looking the user up fails: the budget is intact afterwards', async () => {
      const { password, actor } = await registered();
      for (let i = 0; i < MAX_PASSWORD_CHECK_FAILURES_PER_USER; i++) {
        await expect(
          withUsersTableGone(() => changePassword(handle(), actor, { currentPassword: 'not it', newPassword: 'whatever else' })),
        ).rejects.not.toMatchObject({ kind: expect.any(String) });
      }
      for (let i = 0; i < MAX_PASSWORD_CHECK_FAILURES_PER_USER - 1; i++) {
        await expect(
          changePassword(handle(), actor, { currentPassword: `not it ${i}`, newPassword: 'whatever else' }),
        ).rejects.toMatchObject({
          code: 'invalid_current_password',
        });
      }
      await expect(
        changePassword(handle(), actor, { currentPassword: password, newPassword: 'a brand new password' }),
      ).resolves.toMatchObject({
        revokedSessions: 0,
      });
    });
  });
});
