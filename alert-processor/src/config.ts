import os from 'node:os';
import { parseTraceUrlTemplate } from '@otel';
import type { EmailSettings } from './notify/email';
import { parseMuteWindows, type MuteWindow } from './silence/mute-windows';
import { parseRoutes, type Routes } from './notify/routes';

/**
 * The alert processor's environment, in the layer's style (otel/config.ts): one small parser per value, a safe
 * default, and a warning (returned, logged once at start-up) when a value is invalid. The settings shared with the
 * app and checked by the layer (TRACE_URL_TEMPLATE) are checked as the app checks them: a problem, which stops
 * the process at start-up as it stops the app.
 */

export interface AlertsConfig {
  /** Listen address (ALERTS_HOST; default the loopback: compose sets 0.0.0.0 for the collector to reach it). */
  host: string;
  port: number;
  /** Largest OTLP request body accepted, compressed and decompressed alike. */
  maxBodyBytes: number;
  stateFile: string;
  /** An error spike is MORE than this many failing requests in one window. */
  errorThreshold: number;
  windowMs: number;
  cooldownMs: number;
  slackWebhookUrl: string | undefined;
  /** Attempts per message on 5xx or network errors (the first included). */
  slackMaxAttempts: number;
  slackTimeoutMs: number;
  /** A 429's Retry-After longer than this is not waited for: the message fails. */
  slackMaxRetryAfterMs: number;
  /** Posts per second to the webhook (Slack allows 1). */
  slackMessagesPerSecond: number;
  /** A backup older than its interval plus this raises backup_stale (ALERT_BACKUP_GRACE_SECONDS). */
  backupGraceMs: number;
  /** No signed audit checkpoint for longer than its interval plus this raises audit_checkpoint_stale (ALERT_AUDIT_CHECKPOINT_GRACE_SECONDS). */
  auditCheckpointGraceMs: number;
  /** A failed-login spike is MORE than this many refused sign-ins on one account in the login window. */
  loginFailuresPerAccount: number;
  /** … or MORE than this many from one client network (/24, /48). */
  loginFailuresPerNetwork: number;
  /** The failed-login window (ALERT_LOGIN_WINDOW_SECONDS). */
  loginWindowMs: number;
  /** No telemetry from a service for this long raises the heartbeat alert; 0: off. */
  heartbeatMs: number;
  /** Alerts of one type within this time go out as one message (ALERT_GROUP_SECONDS); 0: each alone. */
  groupMs: number;
  /**
   * The OTLP intake's shared secret (ALERTS_INTAKE_TOKEN), which the collector sends as a bearer token; undefined
   * only with ALERTS_INTAKE_UNAUTHENTICATED=true (a local run), else the process does not start.
   */
  intakeToken: string | undefined;
  /** Services whose records may raise alerts and are watched by the heartbeat (ALERT_SERVICES); others are counted. */
  services: string[];
  /** The silences API's bearer token (ALERTS_API_TOKEN); undefined: the API is off. */
  apiToken: string | undefined;
  /** ALERT_MUTE_WINDOWS, parsed (mute-windows.ts). */
  muteWindows: MuteWindow[];
  /** Replicas: PostgreSQL shared by them (ALERTS_DATABASE_URL); undefined: this process alone, state file only. */
  databaseUrl: string | undefined;
  /** How long the sender's lease lasts without renewal (ALERTS_LEASE_SECONDS). */
  leaseMs: number;
  /** This replica's name in the lease (ALERTS_REPLICA_ID; default host name and process id). */
  replicaId: string;
  /** A database query slower than this counts as the database being gone. */
  databaseTimeoutMs: number;
  sentryIssuesUrl: string | undefined;
  /** Where docs/RUNBOOKS.md is served (ALERT_RUNBOOK_URL); each alert links its type's section. */
  runbookUrl: string | undefined;
  /** The email receiver (SMTP_*, ALERT_EMAIL_*); undefined: no email. */
  email: EmailSettings | undefined;
  /** Which receivers get which alerts (ALERT_ROUTES). */
  routes: Routes;
  /** e.g. http://localhost:16686/trace/{traceId} */
  traceUrlTemplate: string | undefined;
  shutdownTimeoutMs: number;
  warnings: string[];
  /** Values the process must not start with, one line each naming the variable. */
  problems: string[];
}

type Env = Record<string, string | undefined>;

export const MIN_API_TOKEN_LENGTH = 16;
export const MIN_INTAKE_TOKEN_LENGTH = 16;
/** The app and the operations layer's own services: the alert processor, the backup scheduler and the collector. */
export const DEFAULT_SERVICES = ['drop', 'drop-alert-processor', 'drop-backup', 'drop-otel-collector'] as const;

export const DEFAULTS = {
  port: 8787,
  maxBodyBytes: 4 * 1024 * 1024,
  stateFile: 'data/alert-state.db',
  errorThreshold: 5,
  windowSeconds: 60,
  cooldownSeconds: 600,
  slackMaxAttempts: 4,
  slackTimeoutMs: 10_000,
  slackMaxRetryAfterSeconds: 60,
  slackMessagesPerSecond: 1,
  heartbeatMinutes: 0,
  backupGraceSeconds: 900,
  auditCheckpointGraceSeconds: 300,
  loginFailuresPerAccount: 10,
  loginFailuresPerNetwork: 20,
  loginWindowSeconds: 900,
  groupSeconds: 0,
  leaseSeconds: 15,
  databaseTimeoutMs: 3_000,
  shutdownTimeoutMs: 20_000,
} as const;

function integer(name: string, env: Env, fallback: number, min: number, warnings: string[]): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (Number.isSafeInteger(value) && value >= min) return value;
  warnings.push(`${name}="${raw}" is not an integer >= ${min}; using ${fallback}`);
  return fallback;
}

function url(name: string, env: Env, warnings: string[]): string | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  try {
    const parsed = new URL(raw);
    if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return raw;
  } catch {
    // reported below
  }
  // The value itself may be a secret (a webhook URL is one): name the variable, never echo it.
  warnings.push(`${name} is not an http(s) URL; ignoring it`);
  return undefined;
}

/**
 * The Sentry issues page of the project, for the links in alerts: SENTRY_ISSUES_URL as given, or derived from
 * the project's DSN (SENTRY_DSN) or, failing that, from the collector's SENTRY_OTLP_TRACES_ENDPOINT (same host
 * and project id). On sentry.io the organization's subdomain is its slug, which the DSN does not hold (only the
 * numeric `o<id>`): with SENTRY_ORG it is `https://<SENTRY_ORG>.sentry.io/issues/?project=<id>`, without it
 * Sentry's own `orgredirect` URL, which opens the signed-in user's organization. Self-hosted Sentry:
 * `https://<host>/organizations/<SENTRY_ORG, default sentry>/issues/?project=<id>`.
 */
export function sentryIssuesUrl(env: Env, warnings: string[] = []): string | undefined {
  const explicit = url('SENTRY_ISSUES_URL', env, warnings);
  if (explicit) return explicit;
  const location = sentryProject(env);
  if (!location) return undefined;
  const org = env.SENTRY_ORG?.trim();
  const project = encodeURIComponent(location.projectId);
  if (location.host === 'sentry.io' || location.host.endsWith('.sentry.io')) {
    return org
      ? `https://${encodeURIComponent(org)}.sentry.io/issues/?project=${project}`
      : `https://sentry.io/orgredirect/organizations/:orgslug/issues/?project=${project}`;
  }
  return `${location.protocol}//${location.host}/organizations/${encodeURIComponent(org || 'sentry')}/issues/?project=${project}`;
}

function sentryProject(env: Env): { protocol: string; host: string; projectId: string } | undefined {
  const dsn = env.SENTRY_DSN?.trim();
  if (dsn) {
    try {
      // https://<publicKey>@o<org>.ingest[.<region>].sentry.io/<projectId>
      const parsed = new URL(dsn);
      const projectId = parsed.pathname.split('/').filter(Boolean).pop();
      if (projectId) return { protocol: parsed.protocol, host: parsed.host, projectId };
    } catch {
      // fall through to the OTLP endpoint
    }
  }
  const endpoint = env.SENTRY_OTLP_TRACES_ENDPOINT?.trim();
  if (endpoint) {
    try {
      // https://o<org>.ingest[.<region>].sentry.io/api/<projectId>/integration/otlp/v1/traces
      const parsed = new URL(endpoint);
      const match = /\/api\/([^/]+)\/integration\/otlp\//.exec(parsed.pathname);
      if (match?.[1]) return { protocol: parsed.protocol, host: parsed.host, projectId: match[1] };
    } catch {
      // no link
    }
  }
  return undefined;
}

function apiToken(env: Env, warnings: string[]): string | undefined {
  const raw = env.ALERTS_API_TOKEN?.trim();
  if (!raw) return undefined;
  if (raw.length >= MIN_API_TOKEN_LENGTH) return raw;
  warnings.push(
    `ALERTS_API_TOKEN is shorter than ${MIN_API_TOKEN_LENGTH} characters; the silences API stays off (openssl rand -hex 32 makes a good one)`,
  );
  return undefined;
}

function intakeToken(env: Env, problems: string[], warnings: string[]): string | undefined {
  const raw = env.ALERTS_INTAKE_TOKEN?.trim();
  const unauthenticated = env.ALERTS_INTAKE_UNAUTHENTICATED?.trim().toLowerCase() === 'true';
  if (raw) {
    if (raw.length < MIN_INTAKE_TOKEN_LENGTH) {
      problems.push(
        `ALERTS_INTAKE_TOKEN is shorter than ${MIN_INTAKE_TOKEN_LENGTH} characters (openssl rand -hex 32 makes a good one; the collector sends the same value)`,
      );
      return undefined;
    }
    if (unauthenticated) warnings.push('ALERTS_INTAKE_UNAUTHENTICATED=true is ignored: ALERTS_INTAKE_TOKEN is set, and required');
    return raw;
  }
  if (!unauthenticated) {
    problems.push(
      'ALERTS_INTAKE_TOKEN is not set: the OTLP intake would take alerts from anyone who can reach it. Set the same secret ' +
        'here and on the collector (openssl rand -hex 32), or ALERTS_INTAKE_UNAUTHENTICATED=true for a local run',
    );
  }
  return undefined;
}

function services(env: Env, warnings: string[]): string[] {
  const raw = env.ALERT_SERVICES?.trim();
  if (!raw) return [...DEFAULT_SERVICES];
  const names = [...new Set(raw.split(',').map((name) => name.trim()))].filter(Boolean);
  if (names.length > 0) return names;
  warnings.push(`ALERT_SERVICES="${raw}" names no service; using ${DEFAULT_SERVICES.join(',')}`);
  return [...DEFAULT_SERVICES];
}

function emailSettings(env: Env, warnings: string[]): EmailSettings | undefined {
  const host = env.SMTP_HOST?.trim();
  const to = (env.ALERT_EMAIL_TO ?? '')
    .split(',')
    .map((address) => address.trim())
    .filter(Boolean);
  const from = env.ALERT_EMAIL_FROM?.trim();
  if (!host && to.length === 0 && !from) return undefined;
  if (!host || to.length === 0 || !from) {
    warnings.push('email needs SMTP_HOST, ALERT_EMAIL_FROM and ALERT_EMAIL_TO together; alerts are not emailed');
    return undefined;
  }
  const rawSecurity = env.SMTP_SECURITY?.trim().toLowerCase() || 'starttls';
  let security: EmailSettings['security'] = 'starttls';
  if (rawSecurity === 'starttls' || rawSecurity === 'tls' || rawSecurity === 'none') security = rawSecurity;
  else warnings.push(`SMTP_SECURITY="${rawSecurity}" is not one of starttls, tls, none; using starttls`);
  const user = env.SMTP_USER?.trim() || undefined;
  if (user && !env.SMTP_PASSWORD) warnings.push('SMTP_USER is set without SMTP_PASSWORD: authenticating with an empty password');
  return {
    host,
    port: integer('SMTP_PORT', env, security === 'tls' ? 465 : 587, 1, warnings),
    security,
    user,
    password: env.SMTP_PASSWORD,
    caFile: env.SMTP_CA_FILE?.trim() || undefined,
    from,
    to,
    timeoutMs: integer('SMTP_TIMEOUT_MS', env, 10_000, 100, warnings),
  };
}

function databaseUrl(env: Env, warnings: string[]): string | undefined {
  const raw = env.ALERTS_DATABASE_URL?.trim();
  if (!raw) return undefined;
  if (/^postgres(ql)?:\/\//.test(raw)) return raw;
  // It holds a password: name the variable, never echo it.
  warnings.push('ALERTS_DATABASE_URL is not a postgres:// URL; running without replicas (state file only)');
  return undefined;
}

function fatal<T>(parse: () => T, problems: string[]): T | undefined {
  try {
    return parse();
  } catch (error) {
    problems.push(error instanceof Error ? error.message : String(error));
    return undefined;
  }
}

export function parseAlertsConfig(env: Env): AlertsConfig {
  const muteWindows = parseMuteWindows(env.ALERT_MUTE_WINDOWS);
  const warnings: string[] = [...muteWindows.warnings];
  const problems: string[] = [];
  return {
    host: env.ALERTS_HOST?.trim() || '127.0.0.1',
    port: integer('ALERTS_PORT', env, DEFAULTS.port, 0, warnings),
    maxBodyBytes: integer('ALERTS_MAX_BODY_BYTES', env, DEFAULTS.maxBodyBytes, 1024, warnings),
    stateFile: env.ALERTS_STATE_FILE?.trim() || DEFAULTS.stateFile,
    errorThreshold: integer('ALERT_ERROR_THRESHOLD', env, DEFAULTS.errorThreshold, 0, warnings),
    windowMs: integer('ALERT_WINDOW_SECONDS', env, DEFAULTS.windowSeconds, 1, warnings) * 1000,
    cooldownMs: integer('ALERT_COOLDOWN_SECONDS', env, DEFAULTS.cooldownSeconds, 0, warnings) * 1000,
    slackWebhookUrl: url('SLACK_WEBHOOK_URL', env, warnings),
    slackMaxAttempts: integer('SLACK_MAX_ATTEMPTS', env, DEFAULTS.slackMaxAttempts, 1, warnings),
    slackTimeoutMs: integer('SLACK_TIMEOUT_MS', env, DEFAULTS.slackTimeoutMs, 100, warnings),
    slackMaxRetryAfterMs: integer('SLACK_MAX_RETRY_AFTER_SECONDS', env, DEFAULTS.slackMaxRetryAfterSeconds, 0, warnings) * 1000,
    slackMessagesPerSecond: integer('SLACK_MESSAGES_PER_SECOND', env, DEFAULTS.slackMessagesPerSecond, 1, warnings),
    backupGraceMs: integer('ALERT_BACKUP_GRACE_SECONDS', env, DEFAULTS.backupGraceSeconds, 0, warnings) * 1000,
    auditCheckpointGraceMs: integer('ALERT_AUDIT_CHECKPOINT_GRACE_SECONDS', env, DEFAULTS.auditCheckpointGraceSeconds, 0, warnings) * 1000,
    loginFailuresPerAccount: integer('ALERT_LOGIN_FAILURES_PER_ACCOUNT', env, DEFAULTS.loginFailuresPerAccount, 1, warnings),
    loginFailuresPerNetwork: integer('ALERT_LOGIN_FAILURES_PER_NETWORK', env, DEFAULTS.loginFailuresPerNetwork, 1, warnings),
    loginWindowMs: integer('ALERT_LOGIN_WINDOW_SECONDS', env, DEFAULTS.loginWindowSeconds, 1, warnings) * 1000,
    heartbeatMs: integer('ALERT_HEARTBEAT_MINUTES', env, DEFAULTS.heartbeatMinutes, 0, warnings) * 60_000,
    groupMs: integer('ALERT_GROUP_SECONDS', env, DEFAULTS.groupSeconds, 0, warnings) * 1000,
    intakeToken: intakeToken(env, problems, warnings),
    services: services(env, warnings),
    apiToken: apiToken(env, warnings),
    databaseUrl: databaseUrl(env, warnings),
    leaseMs: integer('ALERTS_LEASE_SECONDS', env, DEFAULTS.leaseSeconds, 1, warnings) * 1000,
    replicaId: env.ALERTS_REPLICA_ID?.trim() || `${os.hostname()}-${process.pid}`,
    databaseTimeoutMs: integer('ALERTS_DATABASE_TIMEOUT_MS', env, DEFAULTS.databaseTimeoutMs, 100, warnings),
    muteWindows: muteWindows.windows,
    sentryIssuesUrl: sentryIssuesUrl(env, warnings),
    runbookUrl: url('ALERT_RUNBOOK_URL', env, warnings),
    email: emailSettings(env, warnings),
    routes: parseRoutes(env.ALERT_ROUTES, warnings),
    traceUrlTemplate: fatal(() => parseTraceUrlTemplate(env.TRACE_URL_TEMPLATE), problems),
    shutdownTimeoutMs: integer('ALERTS_SHUTDOWN_TIMEOUT_MS', env, DEFAULTS.shutdownTimeoutMs, 0, warnings),
    warnings,
    problems,
  };
}
