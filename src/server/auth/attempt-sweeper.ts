import { sql, type Kysely } from 'kysely';
import { getLogger } from '@otel';
import { getDatabase } from '../db';
import type { Database } from '../db/schema';
import { isDatabaseUnavailable } from '../db/errors';
import { noteDatabaseUnavailable } from '../db/outage';

/** How often each app process removes expired attempt counters. */
export const ATTEMPT_SWEEP_INTERVAL_MS = 60_000;
/** Rows per DELETE statement, and statements per sweep at most: a sweep's work is bounded however many expired. */
export const ATTEMPT_SWEEP_BATCH = 500;
export const ATTEMPT_SWEEP_MAX_BATCHES = 20;

/**
 * Removes counters of `rate_limits` whose window ended before `nowMs` (an expired counter counts as zero, so nothing
 * changes for any limit), at most `batchSize` rows per statement through the `expire` index, and at most `maxBatches`
 * statements: the rest waits for the next sweep. Counters without an end (`expire` null) stay. Returns the rows removed.
 */
export async function sweepExpiredAttempts(
  db: Kysely<Database>,
  { nowMs = Date.now(), batchSize = ATTEMPT_SWEEP_BATCH, maxBatches = ATTEMPT_SWEEP_MAX_BATCHES } = {},
): Promise<number> {
  let removed = 0;
  for (let batch = 0; batch < maxBatches; batch++) {
    const result = await sql`DELETE FROM rate_limits WHERE key IN (
      SELECT key FROM rate_limits WHERE expire < ${nowMs} ORDER BY expire LIMIT ${batchSize})`.execute(db);
    const count = Number(result.numAffectedRows ?? 0);
    removed += count;
    if (count < batchSize) break;
  }
  return removed;
}

/**
 * Sweeps expired attempt counters at start-up and then every `intervalMs`, in every app process (both databases;
 * the limiters never delete them, and on SQLite nothing else would). Waits for a database that is away at start-up.
 * The timer does not keep the process alive.
 */
export function startAttemptSweeper(intervalMs = ATTEMPT_SWEEP_INTERVAL_MS): void {
  const tick = async () => {
    try {
      await sweepExpiredAttempts((await getDatabase()).db);
    } catch (error) {
      if (isDatabaseUnavailable(error)) noteDatabaseUnavailable(error);
      else getLogger().error({ err: error, 'event.name': 'rate_limits.sweep_failed' }, 'removing expired attempt counters failed');
    }
    setTimeout(() => void tick(), intervalMs).unref();
  };
  void tick();
}
