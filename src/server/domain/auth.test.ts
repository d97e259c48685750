import { describe, expect, it } from 'vitest';
import { uniqueEmail } from '../../../test/helpers/stack';
import { DIALECTS } from '../../../test/helpers/databases';
import { useDatabase } from '../../../test/helpers/domain-fixture';
import { MAX_FAILURES_PER_EMAIL_AND_IP } from '../auth/login-rate-limit';
import type { Actor, RequestContext } from './context';
import { changePassword, login, register } from './auth';
import { findActiveSession } from './sessions';

const ctx = (ip = '198.51.100.7'): RequestContext => ({ ip, userAgent: 'vitest' });

describe.each(DIALECTS)('auth on %s', (dialect) => {
  const handle = useDatabase(dialect);

  async function registered(password = 'correct horse battery') {
    const email = uniqueEmail('auth');
    const { user, session } = await register(handle(), { email, password, name: ' Ann Example ' }, ctx());
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
    await expect(register(handle(), { email: email.toUpperCase(), password: 'another password', name: 'X' }, ctx())).rejects.toMatchObject({
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
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);
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

  describe('changing the password', () => {
    it('revokes every other session of the user, keeps the current one, and swaps the password', async () => {
      const { email, password, actor } = await registered();
      const laptop = await login(handle(), { email, password }, ctx());
      const phone = await login(handle(), { email, password }, ctx());
      const result = await changePassword(handle(), actor, { currentPassword: password, newPassword: 'a brand new password' });
      expect(result.revokedSessions).toBe(2);
      expect(await findActiveSession(handle().db, actor.sessionId, actor.userId)).toBeDefined();
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
  });
});
