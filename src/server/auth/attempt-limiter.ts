import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
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
  refund(): Promise<void>;
}

const limiters = new WeakMap<DatabaseHandle, Map<string, Promise<RateLimiterAbstract>>>();
/** PostgreSQL limiters are created one after the other: each runs CREATE TABLE IF NOT EXISTS, which races. */
const postgresCreation = new WeakMap<DatabaseHandle, Promise<unknown>>();

function postgresLimiter(handle: DatabaseHandle, limit: AttemptLimit): Promise<RateLimiterAbstract> {
  return new Promise((resolve, reject) => {
    const limiter: RateLimiterPostgres = new RateLimiterPostgres(
      {
        storeClient: handle.pgPool,
        storeType: 'pool',
        tableName: 'rate_limits',
        keyPrefix: limit.name,
        points: limit.points,
        duration: limit.windowSeconds,
        clearExpiredByTimeout: true,
      },
      (error?: unknown) => (error ? reject(error) : resolve(limiter)),
    );
  });
}

/** In memory on SQLite (one instance); in PostgreSQL on PostgreSQL, so limits hold across instances. */
function limiterFor(handle: DatabaseHandle, limit: AttemptLimit): Promise<RateLimiterAbstract> {
  let byName = limiters.get(handle);
  if (!byName) limiters.set(handle, (byName = new Map()));
  let limiter = byName.get(limit.name);
  if (!limiter) {
    if (handle.dialect === 'postgres') {
      const previous = postgresCreation.get(handle) ?? Promise.resolve();
      limiter = previous.catch(() => undefined).then(() => postgresLimiter(handle, limit));
      postgresCreation.set(handle, limiter);
    } else {
      limiter = Promise.resolve(new RateLimiterMemory({ keyPrefix: limit.name, points: limit.points, duration: limit.windowSeconds }));
    }
    const created = limiter;
    created.catch(() => byName.delete(limit.name));
    byName.set(limit.name, created);
  }
  return limiter;
}

/**
 * Counts one attempt against every claim before the attempt is made, so that parallel requests cannot all pass a
 * check made before any of them failed: the store's increment is atomic (one process's memory; one UPSERT in
 * PostgreSQL), and an attempt goes ahead only if every count stayed within its limit. A refused attempt takes its
 * counts back at once and throws `rate_limited` with the seconds until the fullest window ends.
 */
export async function reserveAttempt(handle: DatabaseHandle, claims: readonly AttemptClaim[], refusal: string): Promise<Reservation> {
  const counted = await Promise.all(claims.map(async (claim) => ({ claim, limiter: await limiterFor(handle, claim.limit) })));
  const results = await Promise.allSettled(counted.map(({ limiter, claim }) => limiter.consume(claim.key)));
  // A store error counted nothing; a RateLimiterRes rejection counted one over the limit.
  const incremented = counted.filter((_, i) => {
    const result = results[i]!;
    return result.status === 'fulfilled' || result.reason instanceof RateLimiterRes;
  });
  const refund = async () => {
    await Promise.all(incremented.map(({ limiter, claim }) => limiter.reward(claim.key)));
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
  await (await limiterFor(handle, claim.limit)).delete(claim.key);
}
