import { getAuditCheckpointer, getAuditKeyring } from './auth/audit-keys';
import { getAuthSecret } from './auth/secret';
import { pgPoolMax, secureCookies, sessionTtlMs, trustedProxyCount } from './config';
import { parseDatabaseUrl } from './db/database-url';
import { sealGatherMs, sequencedWrites } from './domain/audit';

function appOrigin(): void {
  const raw = process.env.APP_ORIGIN;
  if (!raw) return;
  try {
    new URL(raw);
  } catch {
    throw new Error(`APP_ORIGIN must be an origin such as https://drop.example.com, got "${raw}"`);
  }
}

/**
 * Every setting the app reads lazily, read once at boot, so that a bad value stops the server with a message that
 * names the variable instead of failing each request that reaches it. Returns the problems, one line each.
 */
export function checkServerConfig(): string[] {
  const checks: Array<() => unknown> = [
    () => parseDatabaseUrl(process.env.DATABASE_URL),
    pgPoolMax,
    getAuthSecret,
    secureCookies,
    sessionTtlMs,
    trustedProxyCount,
    appOrigin,
    getAuditKeyring,
    // Reads AUDIT_SIGNING_KEY(_FILE), AUDIT_CHECKPOINT_EVERY and AUDIT_CHECKPOINT_SECONDS.
    getAuditCheckpointer,
    sequencedWrites,
    sealGatherMs,
  ];
  const problems: string[] = [];
  for (const check of checks) {
    try {
      check();
    } catch (error) {
      problems.push(error instanceof Error ? error.message : String(error));
    }
  }
  return problems;
}
