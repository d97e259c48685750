import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../test/helpers/databases';
import { useDatabase } from '../../../test/helpers/domain-fixture';
import { reserveAttempt, type AttemptClaim, type AttemptLimit } from './attempt-limiter';

const limit = (points: number): AttemptLimit => ({ name: `test_${crypto.randomBytes(4).toString('hex')}`, points, windowSeconds: 60 });

describe.each(DIALECTS)('reserveAttempt on %s', (dialect) => {
  const handle = useDatabase(dialect);

  const outcome = (claims: AttemptClaim[]) =>
    reserveAttempt(handle(), claims, 'no more').then(
      (reservation) => ({ ok: true as const, reservation }),
      (error: unknown) => ({ ok: false as const, error }),
    );

  it('grants exactly the limit to a burst of parallel reservations and refuses the rest with rate_limited', async () => {
    const claim = { limit: limit(5), key: 'k' };
    const results = await Promise.all(Array.from({ length: 40 }, () => outcome([claim])));
    expect(results.filter((r) => r.ok)).toHaveLength(5);
    const refused = results.filter((r) => !r.ok);
    expect(refused).toHaveLength(35);
    for (const r of refused) {
      expect(r.error).toMatchObject({ kind: 'rate_limited', code: 'rate_limited', message: 'no more' });
      expect((r.error as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThan(0);
      expect((r.error as { retryAfterSeconds: number }).retryAfterSeconds).toBeLessThanOrEqual(60);
    }
  });

  it('a refund gives one attempt back; refused attempts never counted', async () => {
    const claim = { limit: limit(2), key: 'k' };
    const first = await outcome([claim]);
    await outcome([claim]);
    for (let i = 0; i < 5; i++) expect((await outcome([claim])).ok).toBe(false);
    if (!first.ok) throw new Error('the first reservation was refused');
    await first.reservation.refund();
    expect((await outcome([claim])).ok).toBe(true);
    expect((await outcome([claim])).ok).toBe(false);
  });

  it('goes ahead only when every claim has room, and a refusal by one takes back the count of the others', async () => {
    const wide = { limit: limit(10), key: 'wide' };
    const narrow = limit(1);
    expect((await outcome([wide, { limit: narrow, key: 'a' }])).ok).toBe(true);
    // Refused by the narrow limit of key a, nine times: the wide limit must not have lost anything to them.
    for (let i = 0; i < 9; i++) expect((await outcome([wide, { limit: narrow, key: 'a' }])).ok).toBe(false);
    const rest = await Promise.all(Array.from({ length: 12 }, (_, i) => outcome([wide, { limit: narrow, key: `b${i}` }])));
    expect(rest.filter((r) => r.ok)).toHaveLength(9);
  });
});
