import { describe, expect, it } from 'vitest';
import { REDACTED, isSensitiveKey, luhnValid, redact, redactAttribute, redactString } from './redact';

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
    expect(redactString(`value ${jwt}; rest`)).toBe("value [REDACTED:jwt]; rest");
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

  it('redacts one attribute by key or by value', () => {
    expect(redactAttribute('http.request.header.authorization', 'Bearer abc')).toBe(REDACTED);
    expect(redactAttribute('note', 'card 4111111111111111')).toBe('card [REDACTED:card]');
    expect(redactAttribute('amount', 42)).toBe(42);
    expect(redactAttribute('cvv', 123)).toBe(REDACTED);
    expect(redactAttribute('password', '')).toBe('');
    expect(redactAttribute('headers', { Cookie: 'a=b', accept: 'json' })).toEqual({ Cookie: REDACTED, accept: 'json' });
  });
});
