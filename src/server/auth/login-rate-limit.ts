import { RateLimiterMemory, RateLimiterPostgres, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { DatabaseHandle } from '../db/connect';
import { DomainError } from '../domain/errors';

const WINDOW_SECONDS = 15 * 60;
export const MAX_FAILURES_PER_EMAIL_AND_IP = 5;
/** Bounds guessing from many (or spoofed) addresses against one account. */
export const MAX_FAILURES_PER_EMAIL = 20;

interface LoginLimiters {
  perEmailAndIp: RateLimiterAbstract;
  perEmail: RateLimiterAbstract;
}

const cache = new WeakMap<DatabaseHandle, Promise<LoginLimiters>>();

function postgresLimiter(handle: DatabaseHandle, keyPrefix: string, points: number): Promise<RateLimiterAbstract> {
  return new Promise((resolve, reject) => {
    const limiter: RateLimiterPostgres = new RateLimiterPostgres(
      {
        storeClient: handle.pgPool,
        storeType: 'pool',
        tableName: 'rate_limits',
        keyPrefix,
        points,
        duration: WINDOW_SECONDS,
        clearExpiredByTimeout: true,
      },
      (error?: unknown) => (error ? reject(error) : resolve(limiter)),
    );
  });
}

/** In memory on SQLite (one instance); in PostgreSQL on PostgreSQL, so limits hold across instances. */
function limitersFor(handle: DatabaseHandle): Promise<LoginLimiters> {
  let limiters = cache.get(handle);
  if (!limiters) {
    limiters =
      handle.dialect === 'postgres'
        ? (async () => ({
            // One after the other: both create the shared table, and concurrent CREATE TABLE IF NOT EXISTS races.
            perEmailAndIp: await postgresLimiter(handle, 'login_ip', MAX_FAILURES_PER_EMAIL_AND_IP),
            perEmail: await postgresLimiter(handle, 'login_email', MAX_FAILURES_PER_EMAIL),
          }))()
        : Promise.resolve({
            perEmailAndIp: new RateLimiterMemory({ points: MAX_FAILURES_PER_EMAIL_AND_IP, duration: WINDOW_SECONDS }),
            perEmail: new RateLimiterMemory({ points: MAX_FAILURES_PER_EMAIL, duration: WINDOW_SECONDS }),
          });
    limiters.catch(() => cache.delete(handle));
    cache.set(handle, limiters);
  }
  return limiters;
}

const keys = (email: string, ip: string) => ({ pair: `${email}|${ip}`, email });

/** Throws `rate_limited` when this email (from this address, or overall) has used up its failures. */
export async function assertLoginAllowed(handle: DatabaseHandle, email: string, ip: string): Promise<void> {
  const limiters = await limitersFor(handle);
  const k = keys(email, ip);
  const [pair, overall] = await Promise.all([limiters.perEmailAndIp.get(k.pair), limiters.perEmail.get(k.email)]);
  const blocked = [
    { res: pair, max: MAX_FAILURES_PER_EMAIL_AND_IP },
    { res: overall, max: MAX_FAILURES_PER_EMAIL },
  ].filter(({ res, max }) => res !== null && res.consumedPoints >= max);
  if (blocked.length > 0) {
    const waitMs = Math.max(...blocked.map(({ res }) => res?.msBeforeNext ?? 0));
    throw new DomainError(
      'rate_limited',
      'rate_limited',
      'Too many failed logins; try again later',
      Math.max(1, Math.ceil(waitMs / 1000)),
    );
  }
}

export async function recordLoginFailure(handle: DatabaseHandle, email: string, ip: string): Promise<void> {
  const limiters = await limitersFor(handle);
  const k = keys(email, ip);
  // consume() rejects once points are exhausted; the count is what matters here.
  await Promise.allSettled([limiters.perEmailAndIp.consume(k.pair), limiters.perEmail.consume(k.email)]);
}

export async function recordLoginSuccess(handle: DatabaseHandle, email: string, ip: string): Promise<void> {
  const limiters = await limitersFor(handle);
  await limiters.perEmailAndIp.delete(keys(email, ip).pair);
}
