/**
 * Sentry's settings from the environment, parsed like the rest of the layer (otel/config.ts): one value per
 * variable, a safe default, and a warning (never a crash) for an invalid value.
 */

type Env = Record<string, string | undefined>;

export interface SentryServerConfig {
  /** SENTRY_DSN: without it no Sentry client exists at all. */
  dsn: string;
  /** SENTRY_ENVIRONMENT, else NODE_ENV. */
  environment: string;
  /** SENTRY_RELEASE, else `drop@<version>` plus `+<git sha>` when the build knows it. */
  release: string;
}

/** What the browser needs, served at run time by GET /api/client-config (one build for every environment). */
export interface SentryBrowserConfig {
  dsn: string;
  environment: string;
  release: string;
  /** Head-sampling ratio of traces the browser starts; the server's parent-based sampler follows its decision. */
  tracesSampleRate: number;
}

/** The browser DSN's variable, read at run time (never inlined at build time, see docs/MONITORING.md). */
export const BROWSER_DSN_VARIABLE = 'NEXT_PUBLIC_SENTRY_DSN';

const SHA = /^[0-9a-f]{7,40}$/i;

/** A DSN the SDKs accept: `<protocol>://<publicKey>@<host>[:port][/path]/<projectId>`. */
export function isValidDsn(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.username !== '' && /\/\d+$/.test(url.pathname);
  } catch {
    return false;
  }
}

function gitSha(env: Env): string | undefined {
  const raw = (env.GIT_SHA ?? env.SOURCE_COMMIT)?.trim();
  return raw && SHA.test(raw) ? raw.slice(0, 12).toLowerCase() : undefined;
}

export function sentryRelease(env: Env, serviceVersion: string): string {
  const explicit = env.SENTRY_RELEASE?.trim();
  if (explicit) return explicit;
  const sha = gitSha(env);
  return sha ? `drop@${serviceVersion}+${sha}` : `drop@${serviceVersion}`;
}

export function sentryEnvironment(env: Env): string {
  return env.SENTRY_ENVIRONMENT?.trim() || env.NODE_ENV?.trim() || 'development';
}

function parseDsn(name: string, env: Env, warnings: string[]): string | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  if (isValidDsn(raw)) return raw;
  // The value itself is not repeated: a DSN is not a secret, but a mistyped one may be something else.
  warnings.push(`${name} is not a valid Sentry DSN (https://<key>@<host>/<projectId>); Sentry stays off`);
  return undefined;
}

export function parseSentryServerConfig(env: Env, serviceVersion: string, warnings: string[]): SentryServerConfig | undefined {
  const dsn = parseDsn('SENTRY_DSN', env, warnings);
  if (!dsn) return undefined;
  return { dsn, environment: sentryEnvironment(env), release: sentryRelease(env, serviceVersion) };
}

/**
 * SENTRY_TRACES_SAMPLE_RATE as a ratio in [0, 1], or undefined when unset or invalid. Trace sampling stays in the
 * OpenTelemetry sampler: this value becomes a parent-based trace-id-ratio sampler unless OTEL_TRACES_SAMPLER is set.
 */
export function parseTracesSampleRate(env: Env, warnings: string[]): number | undefined {
  const raw = env.SENTRY_TRACES_SAMPLE_RATE?.trim();
  if (!raw) return undefined;
  const value = Number(raw);
  if (Number.isFinite(value) && value >= 0 && value <= 1) return value;
  warnings.push(`SENTRY_TRACES_SAMPLE_RATE="${raw}" is not a number between 0 and 1; ignoring it`);
  return undefined;
}

/** `tracesSampleRate`: the share the server samples new traces at (otel/config.ts samplingRatio), so both agree. */
export function parseSentryBrowserConfig(
  env: Env,
  serviceVersion: string,
  tracesSampleRate: number,
  warnings: string[],
): SentryBrowserConfig | undefined {
  const dsn = parseDsn(BROWSER_DSN_VARIABLE, env, warnings);
  if (!dsn) return undefined;
  return {
    dsn,
    environment: sentryEnvironment(env),
    release: sentryRelease(env, serviceVersion),
    tracesSampleRate,
  };
}
