import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, type Generated } from 'kysely';
import pg from 'pg';
import { migrationsFor } from './migrations';

/**
 * The alert processor's one store, over Kysely: a SQLite file (ALERTS_STATE_FILE) or PostgreSQL
 * (ALERTS_DATABASE_URL, which replicas share), one schema and one set of migrations for both (migrations.ts).
 * The code above (outbox.ts, state-store.ts, silence-store.ts, cluster/lease.ts) never asks which one it is on.
 * Tables are prefixed `alert_` and the migrations kept in `alert_migration`, so the processor may share a
 * database with the app.
 */

export interface AlertTables {
  alert_outbox: {
    id: Generated<number>;
    alert_type: string;
    service: string;
    receiver: string;
    alert: string;
    message: string;
    /** The replica that wrote it (replicas); '' in a state file. */
    origin: Generated<string>;
    enqueued_at_ms: number;
    attempts: Generated<number>;
    next_attempt_ms: number;
    /** Handed to the shared outbox (replicas): kept here, never due, until the shared row `shared_id` is gone. */
    relayed_at_ms: number | null;
    shared_id: number | null;
  };
  /** When each type was last posted per service and receiver, by any replica (the shared sender's duplicates). */
  alert_posted: { alert_type: string; service: string; receiver: string; posted_at_ms: number };
  alert_cooldowns: { alert_type: string; service: string; last_sent_ms: number };
  alert_spikes: {
    service: string;
    status: string;
    opened_at_ms: number;
    notified: number;
    suppressed: number;
    failing_requests: number;
    peak_in_window: number;
    sample_trace_id: string;
    sample_description: string;
    below_since_ms: number | null;
    resolved_at_ms: number | null;
    last_failure_ms: number | null;
  };
  alert_heartbeats: { service: string; last_seen_ms: number; missing: number; notified: number };
  alert_watches: { watch: string; service: string; state: string };
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
  alert_lease: { name: string; holder: string; expires_at_ms: number };
}

export type AlertsDb = Kysely<AlertTables>;
export type AlertsDialect = 'sqlite' | 'postgres';

export type StoreLocation = { file: string } | { url: string; queryTimeoutMs: number };

export interface AlertStore {
  db: AlertsDb;
  dialect: AlertsDialect;
  close(): Promise<void>;
}

const PG_INT8_OID = 20;
// Epoch milliseconds and counters, far below 2^53.
const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === PG_INT8_OID && format !== 'binary') return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

export function openStore(location: StoreLocation): AlertStore {
  if ('file' in location) {
    const { file } = location;
    if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const sqlite = new SQLite(file);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('busy_timeout = 5000');
    const db = new Kysely<AlertTables>({ dialect: new SqliteDialect({ database: sqlite }) });
    return { db, dialect: 'sqlite', close: () => db.destroy() };
  }
  const pool = new pg.Pool({
    connectionString: location.url,
    max: 4,
    types: pgTypes,
    // A database that does not answer must not hold an alert back for long: failing fast is what lets a
    // replica fall back to posting directly.
    connectionTimeoutMillis: location.queryTimeoutMs,
    query_timeout: location.queryTimeoutMs,
    idleTimeoutMillis: 30_000,
  });
  // A client losing its server (a restart, a failover, the database dropped) emits 'error': idle ones on the pool,
  // checked-out ones on themselves, where nothing would listen and the process would crash. The query in flight
  // fails anyway (that is how the caller learns), and the next query reconnects.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = new Kysely<AlertTables>({ dialect: new PostgresDialect({ pool }) });
  return { db, dialect: 'postgres', close: () => db.destroy() };
}

/** Brings the schema up to date; replicas starting together wait for each other (Kysely's migration lock). */
export async function migrateStore(store: AlertStore): Promise<void> {
  const migrator = new Migrator({
    db: store.db,
    provider: { getMigrations: async () => migrationsFor(store.dialect) },
    migrationTableName: 'alert_migration',
    migrationLockTableName: 'alert_migration_lock',
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((result) => result.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`alerts store migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}

/** Opens and migrates: what a caller that cannot go on without the store uses. */
export async function openMigratedStore(location: StoreLocation): Promise<AlertStore> {
  const store = openStore(location);
  try {
    await migrateStore(store);
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
  return store;
}
