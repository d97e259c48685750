/**
 * The names Drop's telemetry uses, in one place: what the layer writes and what the alert processor (and the
 * operator's dashboards) read. Stable OpenTelemetry names are re-exported from `@opentelemetry/semantic-conventions`;
 * incubating ones are copied here, as the opentelemetry-js-contrib instrumentations keep theirs (the package's
 * `incubating` entry may change any name in a minor release, a copy changes only when Drop decides); Drop's own
 * names (events, business metrics) are defined once below.
 */
export {
  ATTR_DEPLOYMENT_ENVIRONMENT_NAME,
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_VERSION,
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_SYSTEM_NAME,
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_PATH,
  ATTR_URL_QUERY,
  ATTR_URL_SCHEME,
  METRIC_DB_CLIENT_OPERATION_DURATION,
  METRIC_HTTP_SERVER_REQUEST_DURATION,
} from '@opentelemetry/semantic-conventions';

// ---- Incubating OpenTelemetry names (copied from @opentelemetry/semantic-conventions/incubating 1.45.0) ----

/** Resource: this process among the service's replicas (a UUID per start unless OTEL_RESOURCE_ATTRIBUTES sets it). */
export const ATTR_SERVICE_INSTANCE_ID = 'service.instance.id' as const;
/** The signed-in user (replaces the deprecated `enduser.id`). */
export const ATTR_USER_ID = 'user.id' as const;
export const ATTR_DB_CLIENT_CONNECTION_POOL_NAME = 'db.client.connection.pool.name' as const;
export const ATTR_DB_CLIENT_CONNECTION_STATE = 'db.client.connection.state' as const;
export const DB_CLIENT_CONNECTION_STATE_VALUE_IDLE = 'idle' as const;
export const DB_CLIENT_CONNECTION_STATE_VALUE_USED = 'used' as const;
/** UpDownCounter `{connection}`, by `db.client.connection.state`. */
export const METRIC_DB_CLIENT_CONNECTION_COUNT = 'db.client.connection.count' as const;
/** UpDownCounter `{connection}`: the most connections the pool may open. */
export const METRIC_DB_CLIENT_CONNECTION_MAX = 'db.client.connection.max' as const;
/** UpDownCounter `{request}`: callers waiting for a connection. */
export const METRIC_DB_CLIENT_CONNECTION_PENDING_REQUESTS = 'db.client.connection.pending_requests' as const;

/**
 * The deprecated log-record attribute that carried an event's name before the OTLP `EventName` field. Drop sets
 * `EventName`; readers (the alert processor) still accept the attribute from older senders. On stdout lines the
 * event's name is the `event.name` field.
 */
export const ATTR_EVENT_NAME = 'event.name' as const;

/** Deprecated HTTP names Next's own server span carries; the layer rewrites them to the stable ones. */
export const DEPRECATED_ATTR_HTTP_METHOD = 'http.method' as const;
export const DEPRECATED_ATTR_HTTP_TARGET = 'http.target' as const;
export const DEPRECATED_ATTR_HTTP_STATUS_CODE = 'http.status_code' as const;

// ---- Drop's own events (the OTLP log record's EventName; `event.name` on stdout lines) ----

export const EVENT_APP_STARTED = 'app.started' as const;
export const EVENT_APP_STOPPING = 'app.stopping' as const;
export const EVENT_APP_STOP_TIMEOUT = 'app.stop_timeout' as const;
/** One per request: the access line. */
export const EVENT_HTTP_ACCESS = 'http.access' as const;
export const EVENT_DB_SLOW_QUERY = 'db.slow_query' as const;
export const EVENT_CONFIG_INVALID = 'config.invalid' as const;
export const EVENT_OTEL_CONFIG = 'otel.config' as const;
export const EVENT_OTEL_DIAGNOSTIC = 'otel.diagnostic' as const;
/** Once per interval while telemetry is being dropped: the counts per signal (otel/dropped-telemetry.ts). */
export const EVENT_OTEL_DROPPED = 'otel.dropped' as const;
export const EVENT_SENTRY_STARTED = 'sentry.started' as const;
/** An incoming traceparent from an untrusted caller, kept as a span link (otel/http/trusted-propagator.ts). */
export const ATTR_DROP_TRACE_PARENT_UNTRUSTED = 'drop.trace.parent.untrusted' as const;

/**
 * The backup scheduler's outcome of each backup attempt (service `drop-backup`, scripts/backup-scheduler.sh):
 * INFO on success; ERROR with `error.type` and a one-line body on failure, a missed backup (database not there)
 * included. Attributes: the ATTR_BACKUP_* below.
 */
export const EVENT_BACKUP_SUCCEEDED = 'backup.succeeded' as const;
export const EVENT_BACKUP_FAILED = 'backup.failed' as const;
/** int, seconds: the schedule's interval (BACKUP_INTERVAL). */
export const ATTR_BACKUP_INTERVAL_SECONDS = 'backup.interval_seconds' as const;
/** int: this attempt's number since the last success (1 on a first try). */
export const ATTR_BACKUP_ATTEMPT = 'backup.attempt' as const;
/** int, seconds: when the next attempt starts (the interval after a success, the retry backoff after a failure). */
export const ATTR_BACKUP_NEXT_ATTEMPT_SECONDS = 'backup.next_attempt_seconds' as const;

/**
 * The audit trail's signed checkpoints (audit/checkpoint-log.ts, docs/AUDIT.md): every checkpoint leaves the database
 * as an INFO `audit.checkpoint` record; each run of the time-based checkpoint timer that finds the head already
 * covered says so with an INFO `audit.checkpoint_current`. Both carry ATTR_AUDIT_CHECKPOINT_INTERVAL_SECONDS; the
 * alert processor raises `audit_checkpoint_stale` when neither arrives for that long plus its grace.
 */
export const EVENT_AUDIT_CHECKPOINT = 'audit.checkpoint' as const;
export const EVENT_AUDIT_CHECKPOINT_CURRENT = 'audit.checkpoint_current' as const;
/** ERROR: a checkpoint was refused because an entry it would cover is not genuine (the chain is broken). */
export const EVENT_AUDIT_CHECKPOINT_REFUSED = 'audit.checkpoint_refused' as const;
/** ERROR: a verification of the whole chain (`GET /api/admin/audit/verify`, `npm run audit:verify`) found it broken. */
export const EVENT_AUDIT_VERIFY_FAILED = 'audit.verify_failed' as const;
/** int, seconds: AUDIT_CHECKPOINT_SECONDS, how often the head is checkpointed if it moved. */
export const ATTR_AUDIT_CHECKPOINT_INTERVAL_SECONDS = 'audit.checkpoint.interval_seconds' as const;
export const ATTR_AUDIT_CHECKPOINT_TREE_SIZE = 'audit.checkpoint.tree_size' as const;
/** int: the first entry that is not genuine; string: why (`hash_mismatch`, `mac_invalid`, …). */
export const ATTR_AUDIT_ENTRY_ID = 'audit.entry.id' as const;
export const ATTR_AUDIT_ENTRY_PROBLEM = 'audit.entry.problem' as const;

/**
 * INFO, one per refused sign-in, emitted once its `login_failure` audit entry has committed (the same fact as the
 * entry and its span event): `user.id` when the account exists, else ATTR_AUTH_EMAIL_MASKED; ATTR_CLIENT_NETWORK;
 * ATTR_AUTH_FAILURE_REASON. The alert processor counts them per account and per network (`login_failures`).
 */
export const EVENT_AUDIT_LOGIN_FAILURE = 'audit.login_failure' as const;
/** The client address reduced to its network by the redaction policy (`maskClientAddress`): `203.0.113.0/24`. */
export const ATTR_CLIENT_NETWORK = 'drop.client.network' as const;
/** An unknown account's email as the redaction policy masks it (`maskEmail`): `a***@example.com`. */
export const ATTR_AUTH_EMAIL_MASKED = 'drop.auth.email_masked' as const;
/** `unknown_email`, `wrong_password` or `rate_limited`. */
export const ATTR_AUTH_FAILURE_REASON = 'drop.auth.failure_reason' as const;

export type LifecycleEventName = typeof EVENT_APP_STARTED | typeof EVENT_APP_STOPPING;

// ---- Drop's own metrics ----

/** Counter `{transfer}`: transfers initiated, by `outcome`. */
export const METRIC_DROP_TRANSFERS = 'drop.transfers' as const;
/** Counter `{payment}`: QR payments, by `outcome`. */
export const METRIC_DROP_QR_PAYMENTS = 'drop.qr.payments' as const;
/** Counter `{login}`: sign-in attempts, by `outcome`. */
export const METRIC_DROP_AUTH_LOGINS = 'drop.auth.logins' as const;
/** The result of a business operation on Drop's counters: `success`, `failure`, `denied`, … */
export const ATTR_OUTCOME = 'outcome' as const;
/** Counter `{error}`: SQLite statements that met SQLITE_BUSY or SQLITE_LOCKED, by `error.type`. */
export const METRIC_DROP_DB_SQLITE_BUSY = 'drop.db.sqlite.busy' as const;

/** Pool names on `db.client.connection.pool.name`. */
export const DB_POOL_NAME_APP = 'drop' as const;
