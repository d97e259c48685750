import crypto from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../test/helpers/databases';
import { useDatabase } from '../../../test/helpers/domain-fixture';
import { reserveAttempt } from './attempt-limiter';
import { sweepExpiredAttempts } from './attempt-sweeper';

describe.each(DIALECTS)('sweepExpiredAttempts on %s', (dialect) => {
  const handle = useDatabase(dialect);
  const keys = async (prefix: string) =>
    (await sql<{ key: string }>`SELECT key FROM rate_limits WHERE key LIKE ${`${prefix}%`} ORDER BY key`.execute(handle().db)).rows.map(
      (r) => r.key,
    );

  it('removes expired counters in bounded batches and keeps live and endless ones', async () => {
    const prefix = `sweep_${crypto.randomBytes(3).toString('hex')}:`;
    const now = Date.now();
    for (let i = 0; i < 5; i++) {
      await sql`INSERT INTO rate_limits (key, points, expire) VALUES (${`${prefix}old${i}`}, 3, ${now - 1_000 - i})`.execute(handle().db);
    }
    await sql`INSERT INTO rate_limits (key, points, expire) VALUES (${`${prefix}live`}, 3, ${now + 60_000})`.execute(handle().db);
    await sql`INSERT INTO rate_limits (key, points, expire) VALUES (${`${prefix}endless`}, 3, NULL)`.execute(handle().db);

    // Two statements of two rows at most: four of the five go now, the last at the next sweep.
    expect(await sweepExpiredAttempts(handle().db, { nowMs: now, batchSize: 2, maxBatches: 2 })).toBe(4);
    expect((await keys(prefix)).filter((k) => k.includes(':old'))).toHaveLength(1);
    expect(await sweepExpiredAttempts(handle().db, { nowMs: now, batchSize: 2, maxBatches: 2 })).toBe(1);
    expect(await keys(prefix)).toEqual([`${prefix}endless`, `${prefix}live`]);
  });

  it('removes what the limiter wrote once its window is over, and the limit counts afresh', async () => {
    const limit = { name: `sweep_${crypto.randomBytes(3).toString('hex')}`, points: 1, windowSeconds: 1 };
    const claim = { limit, key: 'k' };
    await reserveAttempt(handle(), [claim], 'no more');
    await expect(reserveAttempt(handle(), [claim], 'no more')).rejects.toMatchObject({ code: 'rate_limited' });
    expect(await keys(limit.name)).toHaveLength(1);
    expect(await sweepExpiredAttempts(handle().db)).toBeGreaterThanOrEqual(0);
    expect(await keys(limit.name)).toHaveLength(1); // its window has not ended
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await sweepExpiredAttempts(handle().db)).toBeGreaterThanOrEqual(1);
    expect(await keys(limit.name)).toEqual([]);
    await expect(reserveAttempt(handle(), [claim], 'no more')).resolves.toBeDefined();
  });
});
