export const isProduction = () => process.env.NODE_ENV === 'production';

/** Secure cookies by default in production; COOKIE_SECURE=false for a plain-http demo on localhost. */
export const secureCookies = () => {
  const raw = process.env.COOKIE_SECURE;
  if (raw === undefined || raw === '') return isProduction();
  if (raw !== 'true' && raw !== 'false') throw new Error(`COOKIE_SECURE must be true or false, got "${raw}"`);
  return raw === 'true';
};

function intFromEnv(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return value;
}

/** PostgreSQL pool size (PG_POOL_MAX, default 10). */
export const pgPoolMax = () => intFromEnv('PG_POOL_MAX', 10, 1, 1000);

export const sessionTtlMs = () => intFromEnv('SESSION_TTL_HOURS', 24 * 7, 1, 24 * 365) * 3_600_000;
/** How many reverse proxies append to X-Forwarded-For in front of the app (0: none, use the socket address). */
export const trustedProxyCount = () => intFromEnv('TRUSTED_PROXY_COUNT', 0, 0, 10);

export const MAX_AMOUNT_CENTS = 100_000_000; // 1,000,000.00 per transfer
export const QR_TTL_MS = 24 * 3_600_000;
