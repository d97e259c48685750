import { describe, expect, it } from 'vitest';
import { REDACTED } from '../otel/redact';
import { redactDetails } from './details';

describe('redactDetails', () => {
  it('keeps ids, amounts and reasons as they are', () => {
    const details = { amountCents: 1250, toUserId: 'u-2', reason: 'wrong_password', revokedSessions: 2, ok: true, none: null };
    expect(JSON.parse(redactDetails(details))).toEqual(details);
  });

  it('passes details through the shared redaction policy, at any depth', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1LTEiLCJzaWQiOiJzLTEifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
    const text = redactDetails({
      password: 'drop-demo-password',
      newPassword: 'another-password',
      nested: { csrfToken: 'abc.def', list: [{ apiKey: 'k-123' }] },
      documentNumber: 'X1234567',
      note: `session ${jwt}`,
    });
    expect(JSON.parse(text)).toMatchObject({
      password: REDACTED,
      newPassword: REDACTED,
      nested: { csrfToken: REDACTED, list: [{ apiKey: REDACTED }] },
      documentNumber: REDACTED,
    });
    for (const secret of ['drop-demo-password', 'another-password', 'abc.def', 'k-123', 'X1234567', jwt]) {
      expect(text).not.toContain(secret);
    }
  });

  it('stores an empty object when there are no details, and drops undefined values', () => {
    expect(redactDetails()).toBe('{}');
    expect(redactDetails({ a: undefined, b: 1 })).toBe('{"b":1}');
  });
});
