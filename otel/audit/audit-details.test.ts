import { describe, expect, it } from 'vitest';
import { REDACTED, redactDetails } from './audit-details';

describe('redactDetails', () => {
  it('keeps ids, amounts and reasons as they are', () => {
    const details = { amountCents: 1250, toUserId: 'u-2', reason: 'wrong_password', revokedSessions: 2, ok: true, none: null };
    expect(JSON.parse(redactDetails(details))).toEqual(details);
  });

  it('replaces secrets by key, at any depth', () => {
    const text = redactDetails({
      password: 'drop-demo-password',
      newPassword: 'another-password',
      nested: { csrfToken: 'abc.def', list: [{ apiKey: 'k-123' }] },
      documentNumber: 'X1234567',
      authorization: 'Bearer x',
    });
    expect(JSON.parse(text)).toEqual({
      password: REDACTED,
      newPassword: REDACTED,
      nested: { csrfToken: REDACTED, list: [{ apiKey: REDACTED }] },
      documentNumber: REDACTED,
      authorization: REDACTED,
    });
    for (const secret of ['drop-demo-password', 'another-password', 'abc.def', 'k-123', 'X1234567', 'Bearer']) {
      expect(text).not.toContain(secret);
    }
  });

  it('replaces tokens by shape and masks email addresses', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1LTEiLCJzaWQiOiJzLTEifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
    expect(JSON.parse(redactDetails({ value: jwt, email: 'alice@drop.test' }))).toEqual({ value: REDACTED, email: 'a***@drop.test' });
  });

  it('stores an empty object when there are no details, and drops undefined values', () => {
    expect(redactDetails()).toBe('{}');
    expect(redactDetails({ a: undefined, b: 1 })).toBe('{"b":1}');
  });
});
