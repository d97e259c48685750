import { describe, expect, it } from 'vitest';
import { REDACTED, isSensitiveKey, luhnValid, maskClientAddress, maskEmail, redact, redactAttribute, redactString } from './redact';

describe('redact', () => {
  it('masks sensitive keys at any depth, whatever their case and separators', () => {
    const input = {
      email: 'alice@drop.test',
      Password: 'hunter2hunter2',
      nested: { currentPassword: 'a', new_password: 'b', headers: { Authorization: 'Bearer x', 'Set-Cookie': 'drop_session=y' } },
      list: [{ documentNumber: 'X1234567' }, { 'x-csrf-token': 'abc' }],
      card: { cardNumber: '4111111111111111', cvv: '123', iban: 'DE89370400440532013000', pan: '4111' },
      apiKey: 'k',
      AUTH_SECRET: 's',
    };
    const out = redact(input);
    expect(out.email).toBe('alice@drop.test');
    expect(out.Password).toBe(REDACTED);
    expect(out.nested.currentPassword).toBe(REDACTED);
    expect(out.nested.new_password).toBe(REDACTED);
    expect(out.nested.headers.Authorization).toBe(REDACTED);
    expect(out.nested.headers['Set-Cookie']).toBe(REDACTED);
    expect(out.list[0]?.documentNumber).toBe(REDACTED);
    expect(out.list[1]?.['x-csrf-token']).toBe(REDACTED);
    expect(out.card).toEqual({ cardNumber: REDACTED, cvv: REDACTED, iban: REDACTED, pan: REDACTED });
    expect(out.apiKey).toBe(REDACTED);
    expect(out.AUTH_SECRET).toBe(REDACTED);
    expect(input.Password).toBe('hunter2hunter2');
  });

  it('keeps ordinary keys that merely contain a short sensitive word', () => {
    expect(isSensitiveKey('company')).toBe(false);
    expect(isSensitiveKey('spinner')).toBe(false);
    expect(isSensitiveKey('trace_id')).toBe(false);
    expect(isSensitiveKey('http.request.header.cookie')).toBe(true);
    expect(isSensitiveKey('http.request.header.x-csrf-token')).toBe(true);
  });

  it('masks JWTs and Luhn-valid card numbers inside any string', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U';
    expect(redactString(`value ${jwt}; rest`)).toBe('value [REDACTED:jwt]; rest');
    expect(redactString('eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.')).toBe('[REDACTED:jwt]');
    expect(redactString('paid with 4111 1111 1111 1111 today')).toBe('paid with [REDACTED:card] today');
    expect(redactString('card 4111-1111-1111-1111')).toBe('card [REDACTED:card]');
    expect(redactString('5500000000000004')).toBe('[REDACTED:card]');
  });

  it('leaves numbers that are not card numbers alone', () => {
    expect(redactString('amount 4111111111111112 cents')).toBe('amount 4111111111111112 cents'); // fails Luhn
    expect(redactString('order 123456789012')).toBe('order 123456789012'); // 12 digits
    // A trace id with a long digit run is bounded by hex letters, so it is not a card candidate.
    expect(redactString('a4111111111111111b')).toBe('a4111111111111111b');
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
  });

  it('masks secret-named query parameters by a name pattern, not a list', () => {
    const names = ['session', 'sid', 'auth', 'jwt', 'sig', 'signature', 'otp', 'pwd', 'pass', 'credential', 'token', 'key'];
    const more = [
      'X-Amz-Signature',
      'X-Amz-Credential',
      'access_token',
      'refreshToken',
      'client-secret',
      'session_id',
      'totp',
      'apiKey',
      'passphrase',
    ];
    for (const name of [...names, ...more]) {
      expect(redactString(`/cb?page=2&${name}=v4lue-${name}&next=%2F`), name).toBe(`/cb?page=2&${name}=${REDACTED}&next=%2F`);
      // A bare query string (span attribute url.query): the first parameter has no `?` before it.
      expect(redactString(`${name}=v4lue&page=2`), name).toBe(`${name}=${REDACTED}&page=2`);
    }
    // Percent-encoded names are judged decoded.
    expect(redactString('/x?%73ession=abc')).toBe(`/x?%73ession=${REDACTED}`);
    for (const name of ['page', 'limit', 'cursor', 'user_id', 'action', 'format', 'sidebar', 'keyboard', 'passenger', 'signup', 'author']) {
      expect(redactString(`/x?${name}=v`), name).toBe(`/x?${name}=v`);
    }
  });

  it('masks key=value and key: value secrets in free text (error messages, log bodies)', () => {
    expect(redactString('payment failed: token=tok_live_abc123 for user 7')).toBe(`payment failed: token=${REDACTED} for user 7`);
    expect(redactString('upstream said sid=abc; retry')).toBe(`upstream said sid=${REDACTED}; retry`);
    expect(redactString('Authorization: Bearer abc.def.ghi')).toBe(`Authorization: ${REDACTED}`);
    expect(redactString('{"password":"hunter2","name":"x"}')).toBe(`{"password":"${REDACTED}","name":"x"}`);
    expect(redactString("otp: '123456' sent")).toBe(`otp: '${REDACTED}' sent`);
    expect(redactString('AUDIT_MAC_KEY=abcdef ready')).toBe(`AUDIT_MAC_KEY=${REDACTED} ready`);
    expect(redactString('connect to postgres://drop:s3cret@db:5432/drop failed')).toBe(
      `connect to postgres://drop:${REDACTED}@db:5432/drop failed`,
    );
    // What is not a secret stays readable.
    for (const text of [
      'connect ECONNREFUSED 127.0.0.1:5432',
      'https://example.com:8080/path at 12:30',
      'code=ECONNRESET errno=-104',
      'Key (email)=(a@b.c) already exists.',
      'duplicate key value violates unique constraint "users_email_key"',
      'audit.checkpoint: 30 entries, head abc',
      'session:7c1e0f3a-audit-resource',
      'revoked session:abc and token:def',
    ]) {
      expect(redactString(text)).toBe(text);
    }
    // Structured keys keep their own judgement: a checkpoint's key id and signature are evidence, not secrets.
    expect(redact({ 'audit.checkpoint.key_id': 'k1', 'audit.checkpoint.signature': 'sig', otp: '1', pwd: 'p' })).toEqual({
      'audit.checkpoint.key_id': 'k1',
      'audit.checkpoint.signature': 'sig',
      otp: REDACTED,
      pwd: REDACTED,
    });
  });

  it('masks sensitive query parameters in URLs', () => {
    expect(redactString('/api/x?token=abc&page=2&api_key=zz')).toBe(`/api/x?token=${REDACTED}&page=2&api_key=${REDACTED}`);
    expect(redactString('a=b and c=d')).toBe('a=b and c=d');
  });

  it('redacts errors, keeps their shape, and survives cycles', () => {
    const error = new Error('login failed for eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl');
    const cyclic: Record<string, unknown> = { name: 'x' };
    cyclic.self = cyclic;
    const out = redact({ err: error, cyclic }) as unknown as { err: { message: string; stack: string }; cyclic: { self: unknown } };
    expect(out.err.message).toBe('login failed for [REDACTED:jwt]');
    expect(out.err.stack).not.toContain('eyJ');
    expect(out.cyclic.self).toBe('[Circular]');
  });

  it("keeps an error's plain fields and leaves out the objects it holds, nested at any depth", () => {
    const client = { host: 'db.internal', password: 'hunter2', connection: { socket: {} } };
    const error = Object.assign(new Error('Connection terminated unexpectedly'), { code: '57P01', detail: 'token=abc123', client });
    const out = redact({ context: { during: [{ error }] } }) as unknown as { context: { during: { error: Record<string, unknown> }[] } };
    const logged = out.context.during[0]!.error;
    expect(logged).toMatchObject({ name: 'Error', message: 'Connection terminated unexpectedly', code: '57P01' });
    expect(logged.detail).not.toContain('abc123');
    expect(logged).not.toHaveProperty('client');
    expect(JSON.stringify(out)).not.toMatch(/hunter2|db\.internal/);
  });

  it('redacts one attribute by key or by value', () => {
    expect(redactAttribute('http.request.header.authorization', 'Bearer abc')).toBe(REDACTED);
    expect(redactAttribute('note', 'card 4111111111111111')).toBe('card [REDACTED:card]');
    expect(redactAttribute('amount', 42)).toBe(42);
    expect(redactAttribute('cvv', 123)).toBe(REDACTED);
    expect(redactAttribute('password', '')).toBe('');
    expect(redactAttribute('headers', { Cookie: 'a=b', accept: 'json' })).toEqual({ Cookie: REDACTED, accept: 'json' });
  });

  it('reduces an email to its first character and domain', () => {
    expect(maskEmail('alice@drop.test')).toBe('a***@drop.test');
    expect(maskEmail('x@a@b.example')).toBe('x***@b.example');
    expect(maskEmail('not-an-email')).toBe('***');
    expect(maskEmail('@drop.test')).toBe('***');
  });

  it('reduces a client address to its network: IPv4 /24, IPv6 /48, IPv4-mapped as IPv4; anything else is unknown', () => {
    expect(maskClientAddress('203.0.113.7')).toBe('203.0.113.0/24');
    expect(maskClientAddress(' 10.0.0.255 ')).toBe('10.0.0.0/24');
    expect(maskClientAddress('2001:db8:1:2::7')).toBe('2001:db8:1::/48');
    expect(maskClientAddress('2001:0DB8:0000:0002:0000:0000:0000:0001')).toBe('2001:db8:0::/48');
    expect(maskClientAddress('::1')).toBe('0:0:0::/48');
    expect(maskClientAddress('[fe80::1%eth0]')).toBe('fe80:0:0::/48');
    expect(maskClientAddress('::ffff:198.51.100.23')).toBe('198.51.100.0/24');
    for (const junk of ['999.1.1.1', '1.2.3', 'example.com', '1::2::3', '2001:db8:zz::1', '', null, undefined]) {
      expect(maskClientAddress(junk)).toBe('unknown');
    }
  });
});
