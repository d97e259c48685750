import { describe, expect, it } from 'vitest';
import { LOGIN_WINDOW_SECONDS, MAX_FAILURES_PER_EMAIL_AND_IP } from '../../src/server/auth/login-rate-limit';
import { DIALECTS } from '../helpers/databases';
import { uniqueEmail, useStack } from '../helpers/stack';
import type { HttpClient } from '../helpers/http-client';

const errorBody = (code: string) => ({ error: { code, message: expect.any(String) } });

describe.each(DIALECTS)('auth and sessions API on %s', (dialect) => {
  const fixture = useStack({ dialect });

  async function signedIn(email: string, password: string): Promise<HttpClient> {
    const client = fixture().client();
    const res = await client.login(email, password);
    expect(res.status).toBe(200);
    return client;
  }

  describe('POST /api/auth/register', () => {
    it('creates the account, answers 201 with the public user and sets an httpOnly session cookie', async () => {
      const client = fixture().client();
      const email = uniqueEmail('Reg');
      const res = await client.post('/api/auth/register', { email, password: 'long enough password', name: '  Reggie  ' });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        user: { id: expect.any(String), email: email.toLowerCase(), name: 'Reggie', role: 'user', createdAt: expect.any(String) },
      });
      const setCookie = res.headers.getSetCookie().find((c) => c.startsWith('drop_session='));
      expect(setCookie).toMatch(/HttpOnly/i);
      expect(setCookie).toMatch(/SameSite=lax/i);
      expect(setCookie).toMatch(/Path=\//);
      const account = await client.get('/api/account');
      expect(account.status).toBe(200);
      expect(account.body).toEqual({ user: res.body.user, balanceCents: 0 });
    });

    it('answers 409 email_taken for an existing email in any case', async () => {
      const res = await fixture()
        .client()
        .post('/api/auth/register', { email: 'ALICE@drop.test', password: 'long enough password', name: 'A' });
      expect(res.status).toBe(409);
      expect(res.body).toEqual(errorBody('email_taken'));
    });

    it.each([
      ['an invalid email', { email: 'not-an-email', password: 'long enough password', name: 'A' }, 'email'],
      ['a short password', { email: uniqueEmail(), password: 'short', name: 'A' }, 'password'],
      ['a missing name', { email: uniqueEmail(), password: 'long enough password' }, 'name'],
      ['a blank name', { email: uniqueEmail(), password: 'long enough password', name: '   ' }, 'name'],
      ['an unknown field', { email: uniqueEmail(), password: 'long enough password', name: 'A', role: 'admin' }, ''],
    ])('answers 400 invalid_request for %s', async (_case, body, path) => {
      const res = await fixture().client().post('/api/auth/register', body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
      expect(res.body.error.issues).toContainEqual({ path, message: expect.any(String) });
      expect(res.headers.getSetCookie().some((c) => c.startsWith('drop_session='))).toBe(false);
    });
  });

  describe('POST /api/auth/login', () => {
    it('answers 200 with the user and a session cookie for the right password', async () => {
      const client = fixture().client();
      const res = await client.login('Bob@Drop.test', 'drop-demo-password');
      expect(res.status).toBe(200);
      expect(res.body.user).toMatchObject({ email: 'bob@drop.test', name: 'Bob Example', role: 'user' });
      expect(res.body.user).not.toHaveProperty('password_hash');
      expect(client.cookie('drop_session')).toBeTruthy();
      expect((await client.get('/api/account')).body.user.email).toBe('bob@drop.test');
    });

    it('answers the same 401 invalid_credentials for a wrong password and for an unknown email', async () => {
      const wrong = await fixture().client().login('bob@drop.test', 'not the password');
      const unknown = await fixture().client().login(uniqueEmail('ghost'), 'drop-demo-password');
      expect(wrong.status).toBe(401);
      expect(unknown.status).toBe(401);
      expect(wrong.body).toEqual(errorBody('invalid_credentials'));
      expect(unknown.body).toEqual(wrong.body);
    });

    it('answers 400 for a body without a password', async () => {
      const res = await fixture().client().post('/api/auth/login', { email: 'bob@drop.test' });
      expect(res.status).toBe(400);
      expect(res.body.error.issues).toContainEqual({ path: 'password', message: expect.any(String) });
    });

    it(`answers 429 rate_limited with Retry-After after ${MAX_FAILURES_PER_EMAIL_AND_IP} failures, even with the right password`, async () => {
      const { email, password } = await fixture().signUp();
      const client = fixture().client();
      for (let attempt = 1; attempt <= MAX_FAILURES_PER_EMAIL_AND_IP; attempt++) {
        const res = await client.login(email, `wrong password ${attempt}`);
        expect(res.status, `attempt ${attempt}`).toBe(401);
      }
      const limited = await client.login(email, password);
      expect(limited.status).toBe(429);
      expect(limited.body).toEqual(errorBody('rate_limited'));
      const retryAfter = Number(limited.headers.get('retry-after'));
      expect(Number.isInteger(retryAfter)).toBe(true);
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(LOGIN_WINDOW_SECONDS);
      expect(client.cookie('drop_session')).toBeUndefined();
      // The limit is per email: another account signs in from the same address.
      expect((await fixture().client().login('bob@drop.test', 'drop-demo-password')).status).toBe(200);
    });
  });

  describe('POST /api/auth/logout', () => {
    it('answers 204, clears the cookie and revokes the session server-side', async () => {
      const client = await signedIn('bob@drop.test', 'drop-demo-password');
      const token = client.cookie('drop_session')!;
      const res = await client.post('/api/auth/logout');
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      expect(client.cookie('drop_session')).toBeUndefined();
      // Replaying the old token does not work either: the session row is revoked.
      const replay = fixture().client();
      replay.setCookie('drop_session', token);
      const account = await replay.get('/api/account');
      expect(account.status).toBe(401);
      expect(account.body).toEqual(errorBody('unauthenticated'));
    });

    it('answers 401 without a session', async () => {
      const res = await fixture().client().post('/api/auth/logout');
      expect(res.status).toBe(401);
      expect(res.body).toEqual(errorBody('unauthenticated'));
    });
  });

  describe('POST /api/auth/password', () => {
    it("answers 204 with a new session cookie: this session is rotated, the user's other sessions are signed out", async () => {
      const { client, email, password } = await fixture().signUp();
      const otherDevice = await signedIn(email, password);
      // A copy of the cookie taken before the change (a thief's, or an old tab's).
      const stolen = fixture().client();
      stolen.setCookie('drop_session', client.cookie('drop_session')!);
      expect((await stolen.get('/api/account')).status).toBe(200);
      const before = client.cookie('drop_session');
      const res = await client.post('/api/auth/password', { currentPassword: password, newPassword: 'my new long password' });
      expect(res.status).toBe(204);
      expect(res.headers.getSetCookie().some((c) => c.startsWith('drop_session='))).toBe(true);
      expect(client.cookie('drop_session')).not.toBe(before);
      // The old cookie stops working at once, wherever it is; the new one works.
      const refused = await stolen.get('/api/account');
      expect(refused.status).toBe(401);
      expect(refused.body).toEqual(errorBody('unauthenticated'));
      const sessions = await client.get('/api/sessions');
      expect(sessions.status).toBe(200);
      expect(sessions.body.sessions).toHaveLength(1);
      expect((await client.get('/api/account')).status).toBe(200);
      expect((await otherDevice.get('/api/account')).status).toBe(401);
      expect((await fixture().client().login(email, password)).status).toBe(401);
      expect((await fixture().client().login(email, 'my new long password')).status).toBe(200);
    });

    it('answers 400 for a wrong current password or a too short new one, and changes nothing', async () => {
      const { client, email, password } = await fixture().signUp();
      const otherDevice = await signedIn(email, password);
      const wrong = await client.post('/api/auth/password', { currentPassword: 'not mine', newPassword: 'my new long password' });
      expect(wrong.status).toBe(400);
      expect(wrong.body).toEqual(errorBody('invalid_current_password'));
      const short = await client.post('/api/auth/password', { currentPassword: password, newPassword: 'short' });
      expect(short.status).toBe(400);
      expect(short.body.error.issues).toContainEqual({ path: 'newPassword', message: expect.any(String) });
      expect((await otherDevice.get('/api/account')).status).toBe(200);
    });

    it('answers 401 without a session', async () => {
      const res = await fixture().client().post('/api/auth/password', { currentPassword: 'x', newPassword: 'long enough password' });
      expect(res.status).toBe(401);
    });
  });

  describe('a change of role (admin granted or revoked)', () => {
    it('ends the sessions issued for the old role: a copied cookie is refused, a new sign-in carries the new role', async () => {
      const { client, id, email, password } = await fixture().signUp();
      const copy = fixture().client();
      copy.setCookie('drop_session', client.cookie('drop_session')!);
      expect((await client.get('/api/admin/audit')).status).toBe(403);

      // Granted by an operator, in the database.
      await fixture().db.db.updateTable('users').set({ role: 'admin' }).where('id', '=', id).execute();
      for (const holder of [client, copy]) {
        const res = await holder.get('/api/admin/audit');
        expect(res.status).toBe(401);
        expect(res.body).toEqual(errorBody('unauthenticated'));
      }
      const admin = await signedIn(email, password);
      expect((await admin.get('/api/admin/audit')).status).toBe(200);

      // Revoked again: the admin session ends too, and the next one has no admin rights.
      await fixture().db.db.updateTable('users').set({ role: 'user' }).where('id', '=', id).execute();
      expect((await admin.get('/api/admin/audit')).status).toBe(401);
      expect((await admin.get('/api/account')).status).toBe(401);
      const user = await signedIn(email, password);
      expect((await user.get('/api/admin/audit')).status).toBe(403);
      expect((await user.get('/api/account')).status).toBe(200);

      const revoked = await fixture()
        .db.db.selectFrom('audit_log')
        .select('details')
        .where('user_id', '=', id)
        .where('action', '=', 'session_revoked')
        .execute();
      expect(revoked.map((r) => JSON.parse(r.details).reason)).toEqual(['privilege_change', 'privilege_change']);
    });
  });

  describe('GET /api/sessions and DELETE /api/sessions/{id}', () => {
    it('lists the live sessions with the current one marked', async () => {
      const { client, email, password, address } = await fixture().signUp();
      await signedIn(email, password);
      const res = await client.get('/api/sessions');
      expect(res.status).toBe(200);
      expect(res.body.sessions).toHaveLength(2);
      // Each session keeps the address it was opened from: the sign-up's, then this machine's.
      expect(res.body.sessions.map((s: { ip: string }) => s.ip).sort()).toEqual([address, '127.0.0.1'].sort());
      for (const session of res.body.sessions) {
        expect(session).toEqual({
          id: expect.any(String),
          createdAt: expect.any(String),
          lastSeenAt: expect.any(String),
          ip: expect.any(String),
          userAgent: expect.any(String),
          current: expect.any(Boolean),
        });
      }
      expect(res.body.sessions.filter((s: { current: boolean }) => s.current)).toHaveLength(1);
    });

    it('revokes another of my sessions (204): that device is signed out, this one is not', async () => {
      const { client, email, password } = await fixture().signUp();
      const otherDevice = await signedIn(email, password);
      const before = (await client.get('/api/sessions')).body.sessions as { id: string; current: boolean }[];
      const other = before.find((s) => !s.current)!;
      const res = await client.delete(`/api/sessions/${other.id}`);
      expect(res.status).toBe(204);
      expect((await otherDevice.get('/api/account')).status).toBe(401);
      const after = (await client.get('/api/sessions')).body.sessions as { id: string }[];
      expect(after.map((s) => s.id)).toEqual(before.filter((s) => s.current).map((s) => s.id));
      expect((await client.delete(`/api/sessions/${other.id}`)).status).toBe(404);
    });

    it('revokes the current session and clears its cookie', async () => {
      const { client } = await fixture().signUp();
      const [current] = (await client.get('/api/sessions')).body.sessions as { id: string }[];
      expect((await client.delete(`/api/sessions/${current!.id}`)).status).toBe(204);
      expect(client.cookie('drop_session')).toBeUndefined();
      expect((await client.get('/api/sessions')).status).toBe(401);
    });

    it("answers 404 for another user's session and leaves it alive", async () => {
      const owner = await fixture().signUp();
      const intruder = await fixture().signUp();
      const [ownersSession] = (await owner.client.get('/api/sessions')).body.sessions as { id: string }[];
      const res = await intruder.client.delete(`/api/sessions/${ownersSession!.id}`);
      expect(res.status).toBe(404);
      expect(res.body).toEqual(errorBody('session_not_found'));
      expect((await owner.client.get('/api/account')).status).toBe(200);
      expect((await intruder.client.delete('/api/sessions/no-such-session')).status).toBe(404);
    });

    it('answers 401 without a session', async () => {
      expect((await fixture().client().get('/api/sessions')).status).toBe(401);
      expect((await fixture().client().delete('/api/sessions/whatever')).status).toBe(401);
    });
  });
});
