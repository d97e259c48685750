import { describe, expect, it } from 'vitest';
import { MAX_FAILURES_PER_EMAIL, MAX_FAILURES_PER_EMAIL_AND_IP } from '../../src/server/auth/login-rate-limit';
import { MAX_PASSWORD_CHECK_FAILURES_PER_USER, PASSWORD_CHECK_WINDOW_SECONDS } from '../../src/server/auth/password-check-rate-limit';
import { MAX_REGISTRATIONS_PER_ADDRESS, REGISTRATION_WINDOW_SECONDS } from '../../src/server/auth/registration-rate-limit';
import { DIALECTS } from '../helpers/databases';
import { uniqueAddress, uniqueEmail, useStack } from '../helpers/stack';
import type { ApiResponse } from '../helpers/http-client';

const PER_IP = MAX_FAILURES_PER_EMAIL_AND_IP;
const PER_EMAIL = MAX_FAILURES_PER_EMAIL;
const PER_USER = MAX_PASSWORD_CHECK_FAILURES_PER_USER;

/**
 * Password guessing with parallel requests against the built server: the limits count attempts before the password
 * is checked, so no burst gets more checked guesses than the limit. Checked guesses are counted twice, by the
 * answers (401/400 against 429) and by the audit rows each checked guess leaves.
 */
describe.each(DIALECTS)('password guessing in parallel on %s', (dialect) => {
  const fixture = useStack({ dialect });

  const statuses = (responses: ApiResponse[]) => {
    const counts: Record<number, number> = {};
    for (const res of responses) counts[res.status] = (counts[res.status] ?? 0) + 1;
    return counts;
  };

  async function auditReasons(userId: string, action: 'login_failure' | 'password_change'): Promise<Record<string, number>> {
    const rows = await fixture()
      .db.db.selectFrom('audit_log')
      .select('details')
      .where('user_id', '=', userId)
      .where('action', '=', action)
      .where('outcome', '=', 'failure')
      .execute();
    const counts: Record<string, number> = {};
    for (const row of rows) {
      const reason = String((JSON.parse(row.details) as { reason?: string }).reason);
      counts[reason] = (counts[reason] ?? 0) + 1;
    }
    return counts;
  }

  it(`checks at most ${PER_IP} of 30 parallel wrong passwords for one account from one address; the rest are 429`, async () => {
    const victim = await fixture().signUp();
    const attacker = fixture().client();
    await attacker.fetchCsrfToken();
    const responses = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        attacker.login(victim.email, `wrong password ${i}`, { headers: { 'x-forwarded-for': '203.0.113.9' } }),
      ),
    );
    expect(statuses(responses)).toEqual({ 401: PER_IP, 429: 30 - PER_IP });
    for (const res of responses.filter((r) => r.status === 429)) expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await auditReasons(victim.id, 'login_failure')).toEqual({ wrong_password: PER_IP, rate_limited: 30 - PER_IP });
  });

  it(`checks at most ${PER_EMAIL} of 50 parallel wrong passwords for one account from 50 addresses (the per-email cap)`, async () => {
    const victim = await fixture().signUp();
    const attacker = fixture().client();
    await attacker.fetchCsrfToken();
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        attacker.login(victim.email, `wrong password ${i}`, { headers: { 'x-forwarded-for': `198.51.100.${i + 1}` } }),
      ),
    );
    expect(statuses(responses)).toEqual({ 401: PER_EMAIL, 429: 50 - PER_EMAIL });
    expect(await auditReasons(victim.id, 'login_failure')).toEqual({ wrong_password: PER_EMAIL, rate_limited: 50 - PER_EMAIL });
    // The owner, from an address of their own, is locked out as well until the window passes: the cap is per email.
    expect(
      (
        await fixture()
          .client()
          .login(victim.email, victim.password, { headers: { 'x-forwarded-for': '192.0.2.77' } })
      ).status,
    ).toBe(429);
  });

  it('still lets the owner in after a burst that stayed under the limit (a success gives its attempt back)', async () => {
    const victim = await fixture().signUp();
    const owner = fixture().client();
    await owner.fetchCsrfToken();
    const wrong = await Promise.all(Array.from({ length: PER_IP - 1 }, (_, i) => owner.login(victim.email, `typo ${i}`)));
    expect(statuses(wrong)).toEqual({ 401: PER_IP - 1 });
    expect((await owner.login(victim.email, victim.password)).status).toBe(200);
    // The success forgot the failures from this address: the whole budget of mistakes is there again before the 429.
    const again = await Promise.all(
      Array.from({ length: PER_IP + 1 }, (_, i) => fixture().client().login(victim.email, `typo again ${i}`)),
    );
    expect(statuses(again)).toEqual({ 401: PER_IP, 429: 1 });
  });

  describe('POST /api/auth/password with a stolen session', () => {
    it(`checks at most ${PER_USER} of 40 parallel wrong current passwords, answers 429 + Retry-After after, and audits both`, async () => {
      const owner = await fixture().signUp();
      const ownersOtherDevice = fixture().client();
      expect((await ownersOtherDevice.login(owner.email, owner.password)).status).toBe(200);
      const thief = owner.client; // the stolen session
      const responses = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          thief.post('/api/auth/password', { currentPassword: `guess number ${i}`, newPassword: 'the thief wants this one' }),
        ),
      );
      expect(statuses(responses)).toEqual({ 400: PER_USER, 429: 40 - PER_USER });
      const limited = responses.find((r) => r.status === 429)!;
      expect(limited.body).toEqual({ error: { code: 'rate_limited', message: expect.any(String) } });
      const retryAfter = Number(limited.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(PASSWORD_CHECK_WINDOW_SECONDS);
      expect(await auditReasons(owner.id, 'password_change')).toEqual({
        invalid_current_password: PER_USER,
        rate_limited: 40 - PER_USER,
      });

      // Even the right password is refused now: the owner's other session survives, the password is unchanged.
      const right = await thief.post('/api/auth/password', { currentPassword: owner.password, newPassword: 'the thief wants this one' });
      expect(right.status).toBe(429);
      expect((await ownersOtherDevice.get('/api/account')).status).toBe(200);
      expect((await fixture().client().login(owner.email, owner.password)).status).toBe(200);
    });

    it('is per user: another account changes its password while one is locked', async () => {
      const locked = await fixture().signUp();
      for (let i = 0; i < PER_USER; i++)
        await locked.client.post('/api/auth/password', { currentPassword: `nope ${i}`, newPassword: 'whatever long enough' });
      expect(
        (await locked.client.post('/api/auth/password', { currentPassword: 'nope', newPassword: 'whatever long enough' })).status,
      ).toBe(429);
      const other = await fixture().signUp();
      const res = await other.client.post('/api/auth/password', { currentPassword: other.password, newPassword: 'a new long password' });
      expect(res.status).toBe(204);
    });
  });
  describe('POST /api/auth/register from one address', () => {
    it(`registers at most ${MAX_REGISTRATIONS_PER_ADDRESS} of ${MAX_REGISTRATIONS_PER_ADDRESS + 5} parallel sign-ups, answers 429 + Retry-After to the rest, and audits them`, async () => {
      const address = uniqueAddress();
      const client = fixture().client();
      await client.fetchCsrfToken();
      const emails = Array.from({ length: MAX_REGISTRATIONS_PER_ADDRESS + 5 }, () => uniqueEmail('burst'));
      const responses = await Promise.all(
        emails.map((email) =>
          client.post(
            '/api/auth/register',
            { email, password: 'long enough password', name: 'Burst' },
            { headers: { 'x-forwarded-for': address } },
          ),
        ),
      );
      expect(statuses(responses)).toEqual({ 201: MAX_REGISTRATIONS_PER_ADDRESS, 429: 5 });
      const limited = responses.find((r) => r.status === 429)!;
      expect(limited.body).toEqual({ error: { code: 'rate_limited', message: expect.any(String) } });
      const retryAfter = Number(limited.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(REGISTRATION_WINDOW_SECONDS);
      const created = await fixture().db.db.selectFrom('users').select('email').where('email', 'in', emails).execute();
      expect(created).toHaveLength(MAX_REGISTRATIONS_PER_ADDRESS);
      const refusals = await fixture()
        .db.db.selectFrom('audit_log')
        .select('details')
        .where('action', '=', 'register')
        .where('outcome', '=', 'failure')
        .execute();
      // Only this test registers `burst-…` addresses: one refusal row each, with the email masked.
      const burstRefusals = refusals
        .map((r) => JSON.parse(r.details) as unknown)
        .filter((d) => (d as { email?: string }).email === 'b***@example.test');
      expect(burstRefusals).toEqual(Array.from({ length: 5 }, () => ({ reason: 'rate_limited', email: 'b***@example.test' })));

      // Another address still registers.
      const elsewhere = await fixture()
        .client()
        .post(
          '/api/auth/register',
          { email: uniqueEmail('elsewhere'), password: 'long enough password', name: 'E' },
          {
            headers: { 'x-forwarded-for': uniqueAddress() },
          },
        );
      expect(elsewhere.status).toBe(201);
    });
  });
});
