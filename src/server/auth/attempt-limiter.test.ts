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

  it('keeps its counts in the rate_limits table, so a second connection (another instance) shares the limit', async () => {
    const claim = { limit: limit(3), key: 'shared' };
    for (let i = 0; i < 3; i++) expect((await outcome([claim])).ok).toBe(true);
    const rows = await handle()
      .db.selectFrom('rate_limits' as never)
      .select(['key' as never, 'points' as never])
      .where('key' as never, '=', `${claim.limit.name}:shared` as never)
      .execute();
    expect(rows).toEqual([{ key: `${claim.limit.name}:shared`, points: 3 }]);
  });

  it('is not rolled back with a transaction another request has open at the time', async () => {
    const claim = { limit: limit(5), key: 'tx' };
    let counted: ReturnType<typeof outcome> | undefined;
    const inTx = handle()
      .db.transaction()
      .execute(async (tx) => {
        await tx.selectFrom('users').select('id').execute();
        // Counted while this transaction is open (as a login may be while a transfer commits elsewhere).
        counted = outcome([claim]);
        await new Promise((resolve) => setTimeout(resolve, 50));
        throw new Error('rolled back');
      })
      .catch(() => 'rolled back');
    expect(await inTx).toBe('rolled back');
    expect((await counted!).ok).toBe(true);
    const row = await handle()
      .db.selectFrom('rate_limits' as never)
      .select('points' as never)
      .where('key' as never, '=', `${claim.limit.name}:tx` as never)
      .executeTakeFirst();
    expect(row).toEqual({ points: 1 });
  });
});
