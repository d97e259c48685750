import { parseTraceUrlTemplate } from '@otel';
import { parseDatabaseUrl, type DatabaseConfig } from './db/database-url';

type Env = Record<string, string | undefined>;

/**
 * The app's settings, parsed and validated once per process (src/instrumentation.ts checks them at boot, so a bad
 * value stops the server with a message naming the variable). Secrets and keys are loaded by their own modules
 * (auth/secret.ts, auth/audit-keys.ts), the layer's settings by otel/config.ts.
 */
export interface ServerConfig {
  production: boolean;
  database: DatabaseConfig;
  /** PostgreSQL pool size (PG_POOL_MAX, 1–1000, default 10). */
  pgPoolMax: number;
  /** Secure cookies (and HSTS) by default in production; COOKIE_SECURE=false for a plain-http demo on localhost. */
  secureCookies: boolean;
  sessionTtlMs: number;
  /** How many reverse proxies append to X-Forwarded-For in front of the app (0: none, use the socket address). */
  trustedProxyCount: number;
  /** The host of APP_ORIGIN, always accepted by the Origin check. */
  appOriginHost: string | undefined;
  /** APP_ORIGIN as an origin (`https://drop.example.com`): the base of the links the app hands out (pay links). */
  appOrigin: string | undefined;
  /** AUDIT_WRITE_MODE: `chained` (default) or `sequenced` (the many-writers design, docs/AUDIT.md). */
  auditWriteMode: 'chained' | 'sequenced';
  /** AUDIT_SEAL_GATHER_MS: how long the sequencer gathers entries into one batch (default 2 ms). */
  auditSealGatherMs: number;
  /** TRACE_URL_TEMPLATE: the trace viewer's URL with `{traceId}`, for the audit page's links. */
  traceUrlTemplate: string | undefined;
  /** AUDIT_CHECKPOINT_EVERY: a signed checkpoint every N audit entries (default 1000). */
  auditCheckpointEvery: number;
  /** AUDIT_CHECKPOINT_SECONDS, in ms: a checkpoint at the first entry this long after the process's previous one. */
  auditCheckpointMs: number;
  /** /login may name the demo accounts (those the database has): outside production, or with DROP_DEMO=1 (npm run demo). */
  showDemoAccounts: boolean;
  /** LOGIN_FAILURES_PER_ADDRESS: failed logins one client address may make across emails per 15 minutes (default 20). */
  loginFailuresPerAddress: number;
  /** PASSWORD_HASHES_PER_ADDRESS: password hashes (logins, registrations, checks) one address may cause per 15 minutes (default 60). */
  passwordHashesPerAddress: number;
  /** AUDIT_MAC_LEGACY_UNTIL: entries up to this id were written before entries carried a MAC (default 0: none). */
  auditMacLegacyUntil: number;
}

export { MAX_AMOUNT_CENTS } from '../lib/amount';
export const QR_TTL_MS = 24 * 3_600_000;

class Problems {
  readonly lines: string[] = [];
  /** The parsed value, or the fallback after noting the problem. */
  take<T>(fallback: T, parse: () => T): T {
    try {
      return parse();
    } catch (error) {
      this.lines.push(error instanceof Error ? error.message : String(error));
      return fallback;
    }
  }
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return value;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw !== 'true' && raw !== 'false') throw new Error(`${name} must be true or false, got "${raw}"`);
  return raw === 'true';
}

function originHost(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  try {
    return new URL(raw).host;
  } catch {
    throw new Error(`APP_ORIGIN must be an origin such as https://drop.example.com, got "${raw}"`);
  }
}

function demoFlag(raw: string | undefined): boolean {
  if (raw === undefined || raw === '' || raw === '0') return false;
  if (raw === '1') return true;
  throw new Error(`DROP_DEMO must be 1 or 0, got "${raw}"`);
}

function auditWriteMode(raw: string | undefined): ServerConfig['auditWriteMode'] {
  const mode = raw || 'chained';
  if (mode !== 'chained' && mode !== 'sequenced') throw new Error(`AUDIT_WRITE_MODE must be chained or sequenced, got "${mode}"`);
  return mode;
}

/** Every app setting from `env`, with one line per invalid value (the defaults stand in for those). */
export function parseServerConfig(env: Env, cwd = process.cwd()): { config: ServerConfig; problems: string[] } {
  const problems = new Problems();
  const production = env.NODE_ENV === 'production';
  const config: ServerConfig = {
    production,
    database: problems.take(parseDatabaseUrl(undefined, cwd), () => parseDatabaseUrl(env.DATABASE_URL, cwd)),
    pgPoolMax: problems.take(10, () => int(env, 'PG_POOL_MAX', 10, 1, 1000)),
    secureCookies: problems.take(production, () => bool(env, 'COOKIE_SECURE', production)),
    sessionTtlMs: problems.take(24 * 7, () => int(env, 'SESSION_TTL_HOURS', 24 * 7, 1, 24 * 365)) * 3_600_000,
    trustedProxyCount: problems.take(0, () => int(env, 'TRUSTED_PROXY_COUNT', 0, 0, 10)),
    appOriginHost: problems.take(undefined, () => originHost(env.APP_ORIGIN)),
    // An invalid APP_ORIGIN is reported once, by appOriginHost.
    appOrigin: URL.canParse(env.APP_ORIGIN ?? '') ? new URL(env.APP_ORIGIN!).origin : undefined,
    auditWriteMode: problems.take('chained' as const, () => auditWriteMode(env.AUDIT_WRITE_MODE)),
    auditSealGatherMs: problems.take(2, () => int(env, 'AUDIT_SEAL_GATHER_MS', 2, 0, 1000)),
    traceUrlTemplate: problems.take(undefined, () => parseTraceUrlTemplate(env.TRACE_URL_TEMPLATE)),
    auditCheckpointEvery: problems.take(1000, () => int(env, 'AUDIT_CHECKPOINT_EVERY', 1000, 1, 1_000_000_000)),
    // At most ~11.5 days: Node's timers hold at most 2^31-1 ms (~24.8 days).
    auditCheckpointMs: problems.take(300, () => int(env, 'AUDIT_CHECKPOINT_SECONDS', 300, 1, 1_000_000)) * 1000,
    showDemoAccounts: !production || problems.take(false, () => demoFlag(env.DROP_DEMO)),
    loginFailuresPerAddress: problems.take(20, () => int(env, 'LOGIN_FAILURES_PER_ADDRESS', 20, 1, 1_000_000)),
    passwordHashesPerAddress: problems.take(60, () => int(env, 'PASSWORD_HASHES_PER_ADDRESS', 60, 1, 1_000_000)),
    auditMacLegacyUntil: problems.take(0, () => int(env, 'AUDIT_MAC_LEGACY_UNTIL', 0, 0, Number.MAX_SAFE_INTEGER)),
  };
  return { config, problems: problems.lines };
}

const configKey = Symbol.for('drop.serverConfig');
type GlobalWithConfig = typeof globalThis & { [configKey]?: ReturnType<typeof parseServerConfig> };

/** This process's settings, parsed once (on globalThis: Next bundles each route separately). */
export function loadServerConfig(): ReturnType<typeof parseServerConfig> {
  const g = globalThis as GlobalWithConfig;
  g[configKey] ??= parseServerConfig(process.env);
  return g[configKey];
}

/**
 * The settings. A process with an invalid one never serves (the boot check exits first); a script that skipped
 * the check fails here with the same message instead of running on a default.
 */
export function serverConfig(): ServerConfig {
  const { config, problems } = loadServerConfig();
  if (problems.length > 0) throw new Error(problems.join('; '));
  return config;
}
