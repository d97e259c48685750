import { sql, type Kysely, type Migration } from 'kysely';
import type { AlertsDialect } from './database';

/**
 * The store's schema, one list for SQLite and PostgreSQL: the same tables and columns, only the column types
 * spelled per dialect. 0001 also takes over what the hand-written stores before it left behind: a state file's
 * `outbox`, `cooldowns`, `spikes`, `heartbeats`, `watches` and `silences` tables are copied into their `alert_`
 * tables and dropped (nothing waiting in an old outbox is lost to an upgrade); a shared database's `alert_outbox`
 * and `alert_posted` gain the columns they lacked (receiver, relayed_at_ms, shared_id).
 */

type Types = { id: string; ms: string };
const TYPES: Record<AlertsDialect, Types> = {
  sqlite: { id: 'INTEGER PRIMARY KEY AUTOINCREMENT', ms: 'INTEGER' },
  postgres: { id: 'BIGSERIAL PRIMARY KEY', ms: 'BIGINT' },
};

const tables = ({ id, ms }: Types) => [
  `CREATE TABLE IF NOT EXISTS alert_outbox (
    id              ${id},
    alert_type      TEXT    NOT NULL,
    service         TEXT    NOT NULL,
    receiver        TEXT    NOT NULL DEFAULT 'slack',
    alert           TEXT    NOT NULL,
    message         TEXT    NOT NULL,
    origin          TEXT    NOT NULL DEFAULT '',
    enqueued_at_ms  ${ms}   NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms ${ms}   NOT NULL,
    relayed_at_ms   ${ms},
    shared_id       ${ms}
  )`,
  `CREATE INDEX IF NOT EXISTS alert_outbox_due ON alert_outbox (next_attempt_ms, id)`,
  `CREATE TABLE IF NOT EXISTS alert_posted (
    alert_type   TEXT  NOT NULL,
    service      TEXT  NOT NULL,
    receiver     TEXT  NOT NULL DEFAULT 'slack',
    posted_at_ms ${ms} NOT NULL,
    PRIMARY KEY (alert_type, service, receiver)
  )`,
  `CREATE TABLE IF NOT EXISTS alert_cooldowns (
    alert_type   TEXT  NOT NULL,
    service      TEXT  NOT NULL,
    last_sent_ms ${ms} NOT NULL,
    PRIMARY KEY (alert_type, service)
  )`,
  `CREATE TABLE IF NOT EXISTS alert_spikes (
    service            TEXT    PRIMARY KEY,
    status             TEXT    NOT NULL CHECK (status IN ('open', 'resolved')),
    opened_at_ms       ${ms}   NOT NULL,
    notified           INTEGER NOT NULL,
    suppressed         INTEGER NOT NULL,
    failing_requests   INTEGER NOT NULL,
    peak_in_window     INTEGER NOT NULL,
    sample_trace_id    TEXT    NOT NULL,
    sample_description TEXT    NOT NULL,
    below_since_ms     ${ms},
    resolved_at_ms     ${ms},
    last_failure_ms    ${ms}
  )`,
  `CREATE TABLE IF NOT EXISTS alert_heartbeats (
    service      TEXT    PRIMARY KEY,
    last_seen_ms ${ms}   NOT NULL,
    missing      INTEGER NOT NULL,
    notified     INTEGER NOT NULL DEFAULT 1
  )`,
  `CREATE TABLE IF NOT EXISTS alert_watches (
    watch   TEXT NOT NULL,
    service TEXT NOT NULL,
    state   TEXT NOT NULL,
    PRIMARY KEY (watch, service)
  )`,
  `CREATE TABLE IF NOT EXISTS alert_silences (
    id                  TEXT    PRIMARY KEY,
    matchers            TEXT    NOT NULL,
    starts_at_ms        ${ms}   NOT NULL,
    ends_at_ms          ${ms}   NOT NULL,
    comment             TEXT    NOT NULL,
    created_by          TEXT,
    created_at_ms       ${ms}   NOT NULL,
    silenced            INTEGER NOT NULL DEFAULT 0,
    last_silenced_at_ms ${ms}
  )`,
  `CREATE INDEX IF NOT EXISTS alert_silences_ends_at ON alert_silences (ends_at_ms)`,
  `CREATE TABLE IF NOT EXISTS alert_lease (
    name          TEXT  PRIMARY KEY,
    holder        TEXT  NOT NULL,
    expires_at_ms ${ms} NOT NULL
  )`,
];

/** The shared database's tables as the first replicas created them: the columns they lacked. */
const POSTGRES_UPGRADE = [
  `ALTER TABLE alert_outbox ADD COLUMN IF NOT EXISTS receiver TEXT NOT NULL DEFAULT 'slack'`,
  `ALTER TABLE alert_outbox ADD COLUMN IF NOT EXISTS relayed_at_ms BIGINT`,
  `ALTER TABLE alert_outbox ADD COLUMN IF NOT EXISTS shared_id BIGINT`,
  `ALTER TABLE alert_posted ADD COLUMN IF NOT EXISTS receiver TEXT NOT NULL DEFAULT 'slack'`,
  `ALTER TABLE alert_posted DROP CONSTRAINT IF EXISTS alert_posted_pkey`,
  `ALTER TABLE alert_posted ADD PRIMARY KEY (alert_type, service, receiver)`,
];

/** A state file's tables before this store, and where their rows go. */
const SQLITE_LEGACY: Record<string, string> = {
  outbox: 'alert_outbox',
  cooldowns: 'alert_cooldowns',
  spikes: 'alert_spikes',
  heartbeats: 'alert_heartbeats',
  watches: 'alert_watches',
  silences: 'alert_silences',
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run on whatever the schema was then
type AnyDb = Kysely<any>;

async function run(db: AnyDb, statements: readonly string[]): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

async function sqliteColumns(db: AnyDb, table: string): Promise<string[]> {
  const rows = await sql<{ name: string }>`SELECT name FROM pragma_table_info(${table})`.execute(db);
  return rows.rows.map((row) => row.name);
}

async function takeOverSqliteTables(db: AnyDb): Promise<void> {
  for (const [legacy, table] of Object.entries(SQLITE_LEGACY)) {
    const old = await sqliteColumns(db, legacy);
    if (old.length === 0) continue;
    const current = new Set(await sqliteColumns(db, table));
    const columns = old.filter((column) => current.has(column)).join(', ');
    await sql.raw(`INSERT INTO ${table} (${columns}) SELECT ${columns} FROM ${legacy}`).execute(db);
    await sql.raw(`DROP TABLE ${legacy}`).execute(db);
  }
}

export function migrationsFor(dialect: AlertsDialect): Record<string, Migration> {
  return {
    '0001_one_store': {
      async up(db: AnyDb) {
        await run(db, tables(TYPES[dialect]));
        if (dialect === 'postgres') await run(db, POSTGRES_UPGRADE);
        else await takeOverSqliteTables(db);
      },
    },
  };
}
