import { describe, expect, it } from 'vitest';
import { LoginWatch, type LoginFailureSignal } from './login-watch';

const options = { perAccount: 3, perNetwork: 5, windowMs: 60_000, cooldownMs: 600_000 };
const failure = (extra: Partial<LoginFailureSignal>): LoginFailureSignal => ({
  service: 'drop',
  network: '203.0.113.0/24',
  reason: 'wrong_password',
  ...extra,
});

describe('LoginWatch', () => {
  it('alerts when one account has MORE than its threshold of refused sign-ins in the window, from any network; then the cooldown', () => {
    const watch = new LoginWatch(options);
    const networks = ['198.51.100.0/24', '192.0.2.0/24', '203.0.113.0/24'];
    for (let i = 0; i < 3; i++) expect(watch.observe([failure({ userId: 'u-1', network: networks[i]! })], i * 1000)).toEqual([]);
    expect(watch.observe([failure({ userId: 'u-1', network: '192.0.2.0/24' })], 4_000)).toEqual([
      {
        type: 'login_failure_spike',
        service: 'drop',
        atMs: 4_000,
        scope: 'account',
        subject: 'u-1',
        failures: 4,
        threshold: 3,
        windowMs: 60_000,
        reasons: { wrong_password: 4 },
        spread: 3,
        unknownAccountFailures: 0,
        maskedEmails: [],
      },
    ]);
    expect(watch.observe([failure({ userId: 'u-1' })], 5_000)).toEqual([]);
  });

  it('alerts on a spray from one network across accounts, unknown emails included (masked), and not below the threshold', () => {
    const watch = new LoginWatch(options);
    const sprayed = [
      failure({ userId: 'u-1' }),
      failure({ userId: 'u-2' }),
      failure({ maskedEmail: 'a***@example.com', reason: 'unknown_email' }),
      failure({ maskedEmail: 'b***@example.com', reason: 'unknown_email' }),
      failure({ userId: 'u-3', reason: 'rate_limited' }),
    ];
    expect(watch.observe(sprayed, 0)).toEqual([]);
    expect(watch.observe([failure({ maskedEmail: 'c***@example.org', reason: 'unknown_email' })], 1_000)).toMatchObject([
      {
        scope: 'network',
        subject: '203.0.113.0/24',
        failures: 6,
        spread: 3,
        unknownAccountFailures: 3,
        reasons: { wrong_password: 2, unknown_email: 3, rate_limited: 1 },
        maskedEmails: ['a***@example.com', 'b***@example.com', 'c***@example.org'],
      },
    ]);
  });

  it('forgets failures older than the window', () => {
    const watch = new LoginWatch(options);
    for (let i = 0; i < 3; i++) watch.observe([failure({ userId: 'u-9' })], i);
    watch.tick(70_000);
    expect(watch.observe([failure({ userId: 'u-9' })], 70_000)).toEqual([]);
  });

  it('counts at most maxKeys accounts and networks at once, and says so once', () => {
    const notes: string[] = [];
    const watch = new LoginWatch({ ...options, maxKeys: 2 }, (note) => notes.push(note));
    watch.observe(
      [failure({ userId: 'a', network: 'n1' }), failure({ userId: 'b', network: 'n2' }), failure({ userId: 'c', network: 'n3' })],
      0,
    );
    expect(notes).toHaveLength(1);
  });
});

describe('LoginWatch reasons from the record', () => {
  it('counts a reason named like an Object property (`constructor`, `__proto__`) as any other', () => {
    const watch = new LoginWatch(options);
    const reasons = ['constructor', '__proto__', 'constructor', 'toString'];
    const alerts = reasons.flatMap((reason, i) => watch.observe([failure({ userId: 'u-1', reason })], i * 1000));
    expect(alerts).toHaveLength(1);
    expect(Object.entries(alerts[0]!.reasons)).toEqual([
      ['constructor', 2],
      ['__proto__', 1],
      ['toString', 1],
    ]);
  });
});
