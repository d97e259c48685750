import { describe, expect, it } from 'vitest';
import type { LoginAlert } from '../rules/rules';
import { describeLoginAlert } from './self-watch-content';

const alert = (reasons: Record<string, number>): LoginAlert => ({
  type: 'login_failure_spike',
  service: 'drop',
  atMs: 0,
  scope: 'account',
  subject: 'u-1',
  failures: 4,
  threshold: 3,
  windowMs: 60_000,
  reasons,
  spread: 1,
  unknownAccountFailures: 0,
  maskedEmails: [],
});

describe('describeLoginAlert', () => {
  it('names the known reasons; a reason from the record named like an Object property is shown as it came', () => {
    // As the alert comes back from the outbox: `__proto__` an own key.
    const reasons = JSON.parse('{"wrong_password":1,"constructor":2,"__proto__":1}') as Record<string, number>;
    const content = describeLoginAlert(alert(reasons), (value) => `«${value}»`);
    expect(content.fields).toContainEqual(['Reasons', '1 wrong password, 2 «constructor», 1 «__proto__»']);
  });
});
