import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { CompiledQuery, Kysely, PostgresDialect, SqliteDialect, sql, type Driver } from 'kysely';
import { registerAuditSqliteFunctions } from '@audit';
import { DB_POOL_NAME_APP, instrumentDialect, logSlowQuery, observeConnectionPool, telemetryConfig } from '@otel';
import { serverConfig } from '../config';
import type { DatabaseConfig } from './database-url';
import { noteDatabaseUnavailable } from './outage';
import type { Database } from './schema';

export type Dialect = DatabaseConfig['dialect'];

export interface DatabaseHandle {
  db: Kysely<Database>;
  dialect: Dialect;
  /** PostgreSQL pool, for libraries that need the driver itself (rate limiting). */
  pgPool?: pg.Pool;
  /** The SQLite connection, for libraries that need the driver itself (rate limiting); use it only through db.connection(). */
  sqlite?: SQLite.Database;
  close(): Promise<void>;
}

const PG_INT8_OID = 20;

// int8 columns hold cents and epoch milliseconds, both far below 2^53.
const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === PG_INT8_OID && format !== 'binary') return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

/**
 * SQLite transactions start with BEGIN IMMEDIATE: they take the write lock up front and wait for it (busy_timeout)
 * instead of starting as readers and failing with SQLITE_BUSY when they try to write after another process has
 * (a deferred transaction cannot wait for the upgrade). Every transaction the app opens writes.
 */
class ImmediateSqliteDialect extends SqliteDialect {
  override createDriver(): Driver {
    const driver = super.createDriver();
    driver.beginTransaction = async (connection) => {
      await connection.executeQuery(CompiledQuery.raw('begin immediate'));
    };
    return driver;
  }
}

export function openDatabase(config: DatabaseConfig): DatabaseHandle {
  if (config.dialect === 'sqlite') {
    if (config.file !== ':memory:') fs.mkdirSync(/*turbopackIgnore: true*/ path.dirname(config.file), { recursive: true });
    const sqlite = new SQLite(config.file);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('synchronous = NORMAL');
    // audit_sha256_hex(), which verifyAuditChain uses to check the chain inside SQL.
    registerAuditSqliteFunctions(sqlite);
    const dialect = instrumentDialect(new ImmediateSqliteDialect({ database: sqlite }), {
      system: 'sqlite',
      namespace: path.basename(config.file),
      slowQueryMs: telemetryConfig().slowQueryMs,
      onSlowQuery: logSlowQuery,
      // In-process SQLite statements take microseconds: a span each would cost more than the statement.
      statementSpans: telemetryConfig().statementSpans,
      statementSpanMs: telemetryConfig().statementSpanMs,
    });
    const db = new Kysely<Database>({ dialect });
    return { db, dialect: 'sqlite', sqlite, close: () => db.destroy() };
  }
  const pool = new pg.Pool({
    connectionString: config.connectionString,
    types: pgTypes,
    max: serverConfig().pgPoolMax,
    connectionTimeoutMillis: 5_000,
  });
  // A connection the server ends (stop, restart, failover, DROP DATABASE … FORCE) emits 'error': from the pool for
  // an idle one, from the client itself for one checked out between two queries. Unheard, either is an uncaught
  // exception. The pool discards a broken client and the next query opens a fresh one (or fails with its own
  // error), so noting the outage (logged once, code and message only) is all there is to do.
  pool.on('error', noteDatabaseUnavailable);
  pool.on('connect', (client) => client.on('error', noteDatabaseUnavailable));
  observeConnectionPool(pool, { system: 'postgresql', poolName: DB_POOL_NAME_APP, max: serverConfig().pgPoolMax });
  const url = new URL(config.connectionString);
  const dialect = instrumentDialect(new PostgresDialect({ pool }), {
    system: 'postgresql',
    namespace: decodeURIComponent(url.pathname.slice(1)) || undefined,
    serverAddress: url.hostname,
    serverPort: Number(url.port || 5432),
    slowQueryMs: telemetryConfig().slowQueryMs,
    onSlowQuery: logSlowQuery,
  });
  const db = new Kysely<Database>({ dialect });
  return { db, dialect: 'postgres', pgPool: pool, close: () => db.destroy() };
}

export async function pingDatabase(db: Kysely<Database>): Promise<void> {
  await sql`select 1`.execute(db);
}
