import { Kysely, PostgresDialect, sql, type Generated } from 'kysely';
import pg from 'pg';

/**
 * The database replicas share (ALERTS_DATABASE_URL, PostgreSQL): the outbox every replica hands its alerts to,
 * what was posted when (cooldowns, and the pairing of resolutions with what they resolve), the silences, and the
 * lease that makes one replica the sender. The tables are created at start if missing, under an advisory lock so
 * that replicas starting together do not race.
 */

export interface SharedTables {
  alert_outbox: {
    id: Generated<number>;
    alert_type: string;
    service: string;
    alert: string;
    message: string;
    origin: string;
    enqueued_at_ms: number;
    attempts: Generated<number>;
    next_attempt_ms: number;
  };
  alert_posted: {
    alert_type: string;
    service: string;
    posted_at_ms: number;
  };
  alert_silences: {
    id: string;
    matchers: string;
    starts_at_ms: number;
    ends_at_ms: number;
    comment: string;
    created_by: string | null;
    created_at_ms: number;
    silenced: Generated<number>;
    last_silenced_at_ms: number | null;
  };
  alert_lease: {
    name: string;
    holder: string;
    expires_at_ms: number;
  };
}

export type SharedDb = Kysely<SharedTables>;

const PG_INT8_OID = 20;
// Epoch milliseconds and counters, far below 2^53.
const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === PG_INT8_OID && format !== 'binary') return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

export function openSharedDb(url: string, options: { queryTimeoutMs: number }): SharedDb {
  const pool = new pg.Pool({
    connectionString: url,
    max: 4,
    types: pgTypes,
    // A database that does not answer must not hold an alert back for long: failing fast is what lets a
    // replica fall back to posting directly.
    connectionTimeoutMillis: options.queryTimeoutMs,
    query_timeout: options.queryTimeoutMs,
    idleTimeoutMillis: 30_000,
  });
  // A client losing its server (a restart, a failover, the database dropped) emits 'error': idle ones on the pool,
  // checked-out ones on themselves, where nothing would listen and the process would crash. The query in flight
  // fails anyway (that is how the caller learns), and the next query reconnects.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return new Kysely<SharedTables>({ dialect: new PostgresDialect({ pool }) });
}

const MIGRATION_LOCK = 8_151_515;

export async function migrateShared(db: SharedDb): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`.execute(trx);
    await sql`
      CREATE TABLE IF NOT EXISTS alert_outbox (
        id              BIGSERIAL PRIMARY KEY,
        alert_type      TEXT   NOT NULL,
        service         TEXT   NOT NULL,
        alert           TEXT   NOT NULL,
        message         TEXT   NOT NULL,
        origin          TEXT   NOT NULL,
        enqueued_at_ms  BIGINT NOT NULL,
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_ms BIGINT NOT NULL
      )`.execute(trx);
    await sql`CREATE INDEX IF NOT EXISTS alert_outbox_due ON alert_outbox (next_attempt_ms, id)`.execute(trx);
    await sql`
      CREATE TABLE IF NOT EXISTS alert_posted (
        alert_type   TEXT   NOT NULL,
        service      TEXT   NOT NULL,
        posted_at_ms BIGINT NOT NULL,
        PRIMARY KEY (alert_type, service)
      )`.execute(trx);
    await sql`
      CREATE TABLE IF NOT EXISTS alert_silences (
        id                  TEXT    PRIMARY KEY,
        matchers            TEXT    NOT NULL,
        starts_at_ms        BIGINT  NOT NULL,
        ends_at_ms          BIGINT  NOT NULL,
        comment             TEXT    NOT NULL,
        created_by          TEXT,
        created_at_ms       BIGINT  NOT NULL,
        silenced            INTEGER NOT NULL DEFAULT 0,
        last_silenced_at_ms BIGINT
      )`.execute(trx);
    await sql`
      CREATE TABLE IF NOT EXISTS alert_lease (
        name          TEXT   PRIMARY KEY,
        holder        TEXT   NOT NULL,
        expires_at_ms BIGINT NOT NULL
      )`.execute(trx);
  });
}
