import crypto from 'node:crypto';
import { SignJWT, UnsecuredJWT, decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { MAX_JSON_BYTES } from '../../src/server/http/request';
import { TEST_AUTH_SECRET } from '../helpers/app-server';
import { DIALECTS } from '../helpers/databases';
import { useStack } from '../helpers/stack';
import { HttpClient } from '../helpers/http-client';

const errorBody = (code: string) => ({ error: { code, message: expect.any(String) } });
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Every route that needs a signed-in user, with a body that would be valid. */
const PROTECTED_ROUTES: [method: string, path: string, body?: unknown][] = [
  ['GET', '/api/account'],
  ['GET', '/api/sessions'],
  ['DELETE', '/api/sessions/some-id'],
  ['POST', '/api/auth/logout'],
  ['POST', '/api/auth/password', { currentPassword: 'drop-demo-password', newPassword: 'another long password' }],
  ['GET', '/api/transfers'],
  ['POST', '/api/transfers', { toEmail: 'bob@drop.test', amountCents: 100 }],
  ['POST', '/api/transfers/some-id/confirm'],
  ['POST', '/api/qr', { amountCents: 100 }],
  ['POST', '/api/qr/some-code/pay'],
  ['POST', '/api/kyc', { fullName: 'Ann Example', dateOfBirth: '1990-01-01', documentType: 'passport', documentNumber: 'X1234567' }],
];

describe.each(DIALECTS)('HTTP security on %s', (dialect) => {
  // Exposed directly, as the proxy-header tests below expect (the test servers otherwise play one trusted proxy).
  const fixture = useStack({ dialect, env: { TRUSTED_PROXY_COUNT: '0' } });

  describe('CSRF', () => {
    const login = { email: 'bob@drop.test', password: 'drop-demo-password' };

    it('accepts a state-changing request with the token from /api/auth/csrf in x-csrf-token (and a same-origin Origin)', async () => {
      const client = fixture().client();
      const res = await client.post('/api/auth/login', login, { headers: { origin: fixture().app.url } });
      expect(res.status).toBe(200);
    });

    it('rejects a request without the token (403 csrf_failed), before looking at the body or the session', async () => {
      const client = fixture().client();
      await client.fetchCsrfToken(); // the cookie alone is not enough
      const res = await client.post('/api/auth/login', login, { csrf: false });
      expect(res.status).toBe(403);
      expect(res.body).toEqual(errorBody('csrf_failed'));
      expect(client.cookie('drop_session')).toBeUndefined();
    });

    it('rejects a header token that does not match the cookie', async () => {
      const client = fixture().client();
      const other = await fixture().client().fetchCsrfToken(); // valid, but someone else's
      await client.fetchCsrfToken();
      const res = await client.post('/api/auth/login', login, { csrf: other });
      expect(res.status).toBe(403);
      expect(res.body).toEqual(errorBody('csrf_failed'));
    });

    it('rejects a self-made token planted in both cookie and header (the signature does not check out)', async () => {
      const client = fixture().client();
      const planted = 'bm9uY2Utb2YtbXktY2hvaWNl.c2lnbmF0dXJlLW9mLW15LWNob2ljZQ';
      client.setCookie('drop_csrf', planted);
      const res = await client.post('/api/auth/login', login, { csrf: planted });
      expect(res.status).toBe(403);
    });

    it.each([
      ['a cross-site Origin', { origin: 'https://evil.example' }],
      ['an opaque Origin', { origin: 'null' }],
      ['a cross-site Referer', { referer: 'https://evil.example/page' }],
    ])('rejects %s even with a valid token pair', async (_case, headers) => {
      const client = fixture().client();
      const res = await client.post('/api/auth/login', login, { headers });
      expect(res.status).toBe(403);
      expect(res.body).toEqual(errorBody('csrf_failed'));
    });

    it('protects signed-in actions: a transfer without the token creates nothing', async () => {
      const { client, id } = await fixture().signUp({ balanceCents: 1_000 });
      const res = await client.post(
        '/api/transfers',
        { toEmail: 'bob@drop.test', amountCents: 100 },
        { csrf: false, headers: { 'idempotency-key': 'csrf-check-0001' } },
      );
      expect(res.status).toBe(403);
      const rows = await fixture().db.db.selectFrom('transfers').select('id').where('from_user_id', '=', id).execute();
      expect(rows).toEqual([]);
    });

    it('issues the token with an httpOnly SameSite=Lax cookie that is not cached', async () => {
      const res = await fixture().client().get('/api/auth/csrf');
      expect(res.status).toBe(200);
      expect(res.body.csrfToken).toMatch(/^[\w-]+\.[\w-]+$/);
      expect(res.headers.get('cache-control')).toBe('no-store');
      const cookie = res.headers.getSetCookie().find((c) => c.startsWith('drop_csrf='));
      expect(cookie).toContain(res.body.csrfToken);
      expect(cookie).toMatch(/HttpOnly/i);
      expect(cookie).toMatch(/SameSite=lax/i);
    });
  });

  describe('session tokens', () => {
    async function claimsOfASignedInUser() {
      const { client } = await fixture().signUp();
      const claims = decodeJwt(client.cookie('drop_session')!);
      return { sub: claims.sub!, sid: claims.sid as string };
    }

    function sign(claims: { sub: string; sid: string }, key: string, exp: number) {
      return new SignJWT({ sid: claims.sid })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(claims.sub)
        .setIssuer('drop')
        .setAudience('drop-session')
        .setIssuedAt(exp - 3600)
        .setExpirationTime(exp)
        .sign(new TextEncoder().encode(key));
    }

    async function accountWith(token: string) {
      const client = fixture().client();
      client.setCookie('drop_session', token);
      return client.get('/api/account');
    }

    it('accepts a token minted here with the server key (so the rejections below are about one defect each)', async () => {
      const claims = await claimsOfASignedInUser();
      const res = await accountWith(await sign(claims, TEST_AUTH_SECRET, nowSeconds() + 600));
      expect(res.status).toBe(200);
      expect(res.body.user.id).toBe(claims.sub);
    });

    it('rejects a token signed with another key (401)', async () => {
      const claims = await claimsOfASignedInUser();
      const res = await accountWith(await sign(claims, 'an-attacker-key-that-is-long-enough-123456', nowSeconds() + 600));
      expect(res.status).toBe(401);
      expect(res.body).toEqual(errorBody('unauthenticated'));
    });

    it('rejects an expired token signed with the right key (401)', async () => {
      const claims = await claimsOfASignedInUser();
      const res = await accountWith(await sign(claims, TEST_AUTH_SECRET, nowSeconds() - 60));
      expect(res.status).toBe(401);
    });

    it('rejects an unsigned alg:none token (401)', async () => {
      const claims = await claimsOfASignedInUser();
      const token = new UnsecuredJWT({ sid: claims.sid })
        .setSubject(claims.sub)
        .setIssuer('drop')
        .setAudience('drop-session')
        .setIssuedAt()
        .setExpirationTime('1h')
        .encode();
      expect(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString())).toEqual({ alg: 'none' });
      expect((await accountWith(token)).status).toBe(401);
    });

    it("rejects a validly signed token that pairs my session with someone else's user id (401)", async () => {
      const mine = await claimsOfASignedInUser();
      const theirs = await claimsOfASignedInUser();
      const res = await accountWith(await sign({ sub: theirs.sub, sid: mine.sid }, TEST_AUTH_SECRET, nowSeconds() + 600));
      expect(res.status).toBe(401);
    });

    it('rejects the token of a revoked session (401), though its signature and expiry are fine', async () => {
      const { client } = await fixture().signUp();
      const token = client.cookie('drop_session')!;
      expect((await client.post('/api/auth/logout')).status).toBe(204);
      expect((await accountWith(token)).status).toBe(401);
    });

    it('rejects garbage in the cookie (401)', async () => {
      expect((await accountWith('not.a.jwt')).status).toBe(401);
    });
  });

  describe('401 without a session', () => {
    it.each(PROTECTED_ROUTES)('%s %s', async (method, path, json) => {
      const res = await fixture()
        .client()
        .request(method, path, {
          json,
          headers: path === '/api/transfers' && method === 'POST' ? { 'idempotency-key': 'unauthenticated-1' } : {},
        });
      expect(res.status).toBe(401);
      expect(res.body).toEqual(errorBody('unauthenticated'));
    });
  });

  describe('request bodies', () => {
    const bigNote = 'x'.repeat(MAX_JSON_BYTES + 1024);

    it('answers 413 payload_too_large for a body over 16 KiB (declared by Content-Length)', async () => {
      const res = await fixture().client().post('/api/auth/register', { email: 'a@example.test', password: bigNote, name: 'A' });
      expect(res.status).toBe(413);
      expect(res.body).toEqual(errorBody('payload_too_large'));
    });

    it('answers 413 to a chunked body without a length as soon as it passes the limit, without reading it all', async () => {
      const client = fixture().client();
      const total = 64 * 1024 * 1024;
      const chunk = new TextEncoder().encode(' '.repeat(64 * 1024)); // JSON whitespace: only its size is wrong
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent >= total) return controller.close();
          sent += chunk.byteLength;
          controller.enqueue(chunk);
        },
      });
      const res = await client.request('POST', '/api/auth/register', { body, headers: { 'content-type': 'application/json' } });
      expect(res.status).toBe(413);
      expect(res.body).toEqual(errorBody('payload_too_large'));
      // The server stopped reading: far less than the 64 MiB on offer left this client (socket buffers aside).
      expect(sent).toBeLessThan(16 * 1024 * 1024);
    });

    it.each([
      ['text/plain', 'text/plain'],
      ['a form', 'application/x-www-form-urlencoded'],
      ['no content type', undefined],
    ])('answers 415 unsupported_media_type for %s', async (_case, type) => {
      const headers: Record<string, string> = type ? { 'content-type': type } : {};
      const res = await fixture().client().request('POST', '/api/auth/login', {
        body: 'email=bob@drop.test&password=drop-demo-password',
        headers,
      });
      expect(res.status).toBe(415);
      expect(res.body).toEqual(errorBody('unsupported_media_type'));
    });

    it.each([
      ['malformed JSON', '{"email": "bob@drop.test",'],
      ['a JSON array', '["bob@drop.test"]'],
      ['JSON null', 'null'],
      ['an empty body', ''],
      ['a wrong type', '{"email": "bob@drop.test", "password": 12345}'],
    ])('answers 400 invalid_request with issues for %s', async (_case, text) => {
      const res = await fixture()
        .client()
        .request('POST', '/api/auth/login', {
          body: text,
          headers: { 'content-type': 'application/json' },
        });
      expect(res.status).toBe(400);
      expect(res.body.error).toEqual({ code: 'invalid_request', message: expect.any(String), issues: expect.any(Array) });
      expect(res.body.error.issues.length).toBeGreaterThan(0);
    });
  });

  describe('proxy headers', () => {
    const login = { email: 'bob@drop.test', password: 'drop-demo-password' };

    it('rejects a cross-site Origin that a client-sent X-Forwarded-Host claims is ours (no trusted proxy)', async () => {
      const res = await fixture()
        .client()
        .post('/api/auth/login', login, { headers: { origin: 'https://evil.example', 'x-forwarded-host': 'evil.example' } });
      expect(res.status).toBe(403);
      expect(res.body).toEqual(errorBody('csrf_failed'));
    });

    it('still accepts the Host the request was sent to', async () => {
      const res = await fixture()
        .client()
        .post('/api/auth/login', login, { headers: { origin: fixture().app.url } });
      expect(res.status).toBe(200);
    });
  });

  describe('control characters in display text', () => {
    const KYC = { dateOfBirth: '1990-01-01', documentType: 'passport', documentNumber: 'X1234567' };
    const cases: [what: string, text: string][] = [
      ['NUL', 'Ann\u0000Example'],
      ['ESC (a terminal escape)', 'Ann \u001b[31mExample'],
      ['a newline', 'Ann\nExample'],
      ['a C1 control', 'Ann\u0085Example'],
      ['a right-to-left override', 'Ann \u202eelpmaxE'],
      ['a bidi isolate', 'Ann \u2066Example\u2069'],
      ['nothing but a zero-width space', '\u200b'],
      ['a BOM', 'Ann\ufeffExample'],
      ['a soft hyphen', 'Ann\u00adExample'],
      ['a tag character', 'Ann\u{e0041}'],
      ['a lone surrogate', 'Ann\ud800Example'],
      ['nothing but a Hangul filler', '\u3164'],
    ];

    it.each(cases)('refuses %s in a registration name with 400 and a clear message', async (_what, name) => {
      const email = `ctl-${crypto.randomUUID()}@example.test`;
      const res = await fixture().client().post('/api/auth/register', { email, password: 'long enough password', name });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
      expect(res.body.error.issues).toContainEqual({ path: 'name', message: expect.stringMatching(/control character/i) });
      const stored = await fixture().db.db.selectFrom('users').select('id').where('email', '=', email).execute();
      expect(stored).toEqual([]);
    });

    it('refuses them in a transfer note, a QR description and a KYC full name', async () => {
      const { client } = await fixture().signUp({ balanceCents: 1_000 });
      const note = await client.post(
        '/api/transfers',
        { toEmail: 'bob@drop.test', amountCents: 100, note: 'rent\u202e' },
        { headers: { 'idempotency-key': crypto.randomUUID() } },
      );
      expect(note.status).toBe(400);
      expect(note.body.error.issues).toContainEqual({ path: 'note', message: expect.stringMatching(/control character/i) });
      const qr = await client.post('/api/qr', { amountCents: 100, description: 'coffee\r\nX-Injected: 1' });
      expect(qr.status).toBe(400);
      expect(qr.body.error.issues).toContainEqual({ path: 'description', message: expect.stringMatching(/control character/i) });
      const kyc = await client.post('/api/kyc', { ...KYC, fullName: 'Ann\u0000' });
      expect(kyc.status).toBe(400);
      expect(kyc.body.error.issues).toContainEqual({ path: 'fullName', message: expect.stringMatching(/control character/i) });
      const invisible = await client.post('/api/kyc', { ...KYC, fullName: 'Ann\u200bExample' });
      expect(invisible.status).toBe(400);
      expect(invisible.body.error.issues).toContainEqual({ path: 'fullName', message: expect.stringMatching(/invisible character/i) });
    });

    it('accepts names in any script, with emoji joined by ZWJ, ZWNJ and accents', async () => {
      const res = await fixture()
        .client()
        .post('/api/auth/register', {
          email: `ok-${crypto.randomUUID()}@example.test`,
          password: 'long enough password',
          name: 'Zoë 李 محمد می\u200cخواهم 👩‍💻',
        });
      expect(res.status).toBe(201);
      expect(res.body.user.name).toBe('Zoë 李 محمد می\u200cخواهم 👩‍💻');
    });
  });

  it('sends the hardening headers and no X-Powered-By', async () => {
    const res = await new HttpClient(fixture().app.url).get('/api/health');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('x-powered-by')).toBeNull();
  });
});
