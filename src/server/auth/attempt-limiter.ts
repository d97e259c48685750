import { RateLimiterPostgres, RateLimiterRes, RateLimiterSQLite, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { DatabaseHandle } from '../db/connect';
import { DomainError } from '../domain/errors';

/** A budget of attempts per key (an email, an email and address, a user) in a fixed window. */
export interface AttemptLimit {
  /** Key prefix in the shared `rate_limits` table; unique per limit. */
  name: string;
  points: number;
  windowSeconds: number;
}

export interface AttemptClaim {
  limit: AttemptLimit;
  key: string;
}

/** An attempt that has been counted before it is made; `refund` gives it back (it succeeded, or never happened). */
export interface Reservation {
  /** Gives the attempt back to every limit but those named in `keep` (a cost that was paid either way). */
  refund(keep?: readonly string[]): Promise<void>;
}

/** One limit's counters in the database, each operation run where it is safe on that database. */
interface Counter {
  consume(key: string): Promise<RateLimiterRes>;
  reward(key: string): Promise<unknown>;
  delete(key: string): Promise<unknown>;
}

const TABLE = 'rate_limits';
const counters = new WeakMap<DatabaseHandle, Map<string, Counter>>();

/**
 * The counters live in the database's `rate_limits` table (created by migration 0006, hence `tableCreated: true`:
 * the app's role needs no DDL), so limits hold across processes and instances on both databases. On SQLite the
 * limiter shares Kysely's one connection and runs inside db.connection(), which waits for any transaction in
 * progress: its statements never land inside another request's transaction. Expired counters are removed by
 * attempt-sweeper.ts, on both databases: the limiters' own clean-up (an unbatched delete every 5 minutes, on by
 * default for PostgreSQL) is turned off.
 */
function counterFor(handle: DatabaseHandle, limit: AttemptLimit): Counter {
  let byName = counters.get(handle);
  if (!byName) counters.set(handle, (byName = new Map()));
  const id = `${limit.name}/${limit.points}/${limit.windowSeconds}`;
  const existing = byName.get(id);
  if (existing) return existing;
  const options = {
    tableName: TABLE,
    tableCreated: true,
    clearExpiredByTimeout: false,
    keyPrefix: limit.name,
    points: limit.points,
    duration: limit.windowSeconds,
  };
  let counter: Counter;
  if (handle.dialect === 'postgres') {
    const limiter: RateLimiterAbstract = new RateLimiterPostgres({
      ...options,
      storeClient: handle.pgPool,
      storeType: 'pool',
    });
    counter = { consume: (key) => limiter.consume(key), reward: (key) => limiter.reward(key), delete: (key) => limiter.delete(key) };
  } else {
    const limiter: RateLimiterAbstract = new RateLimiterSQLite({ ...options, storeClient: handle.sqlite, storeType: 'better-sqlite3' });
    const exclusive = <T>(op: () => Promise<T>) => handle.db.connection().execute(op);
    counter = {
      consume: (key) => exclusive(() => limiter.consume(key)),
      reward: (key) => exclusive(() => limiter.reward(key)),
      delete: (key) => exclusive(() => limiter.delete(key)),
    };
  }
  byName.set(id, counter);
  return counter;
}

/**
 * Counts one attempt against every claim before the attempt is made, so that parallel requests cannot all pass a
 * check made before any of them failed: the store's increment is atomic (one UPSERT), and an attempt goes ahead
 * only if every count stayed within its limit. A refused attempt takes its counts back at once and throws
 * `rate_limited` with the seconds until the fullest window ends.
 */
export async function reserveAttempt(handle: DatabaseHandle, claims: readonly AttemptClaim[], refusal: string): Promise<Reservation> {
  const counted = claims.map((claim) => ({ claim, counter: counterFor(handle, claim.limit) }));
  const results = await Promise.allSettled(counted.map(({ counter, claim }) => counter.consume(claim.key)));
  // A store error counted nothing; a RateLimiterRes rejection counted one over the limit.
  const incremented = counted.filter((_, i) => {
    const result = results[i]!;
    return result.status === 'fulfilled' || result.reason instanceof RateLimiterRes;
  });
  const refund = async (keep: readonly string[] = []) => {
    const given = incremented.filter(({ claim }) => !keep.includes(claim.limit.name));
    await Promise.all(given.map(({ counter, claim }) => counter.reward(claim.key)));
  };
  const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  if (failures.length === 0) return { refund };
  await refund();
  const storeError = failures.find((f) => !(f instanceof RateLimiterRes));
  if (storeError) throw storeError;
  const waitMs = Math.max(...failures.map((f) => (f as RateLimiterRes).msBeforeNext));
  throw new DomainError('rate_limited', 'rate_limited', refusal, Math.max(1, Math.ceil(waitMs / 1000)));
}

/** Forgets every attempt counted against one key. */
export async function forgetAttempts(handle: DatabaseHandle, claim: AttemptClaim): Promise<void> {
  await counterFor(handle, claim.limit).delete(claim.key);
}
