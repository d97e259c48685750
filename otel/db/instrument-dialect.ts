import { SpanKind, SpanStatusCode, trace, type Attributes } from '@opentelemetry/api';
import {
  ATTR_DB_COLLECTION_NAME,
  ATTR_DB_NAMESPACE,
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_QUERY_TEXT,
  ATTR_DB_SYSTEM_NAME,
  ATTR_ERROR_TYPE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
} from '@opentelemetry/semantic-conventions';
import type {
  CompiledQuery,
  DatabaseConnection,
  Dialect,
  Driver,
  QueryResult,
  TransactionSettings,
} from 'kysely';
import { dbClientDuration } from '../metrics';
import { statementShape } from './statement-shape';

export interface DbTelemetryOptions {
  /** `sqlite` or `postgresql` (db.system.name). */
  system: 'sqlite' | 'postgresql';
  /** Database name or file (db.namespace). */
  namespace?: string;
  serverAddress?: string;
  serverPort?: number;
  /** Statements slower than this are reported through onSlowQuery. */
  slowQueryMs: number;
  onSlowQuery?: (details: { attributes: Attributes; durationMs: number }) => void;
}

const tracer = trace.getTracer('drop-db');

class InstrumentedConnection implements DatabaseConnection {
  constructor(
    readonly inner: DatabaseConnection,
    private readonly options: DbTelemetryOptions,
  ) {}

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const { operation, collection } = statementShape(compiledQuery.sql);
    const attributes: Attributes = {
      [ATTR_DB_SYSTEM_NAME]: this.options.system,
      [ATTR_DB_OPERATION_NAME]: operation,
      // The compiled text has placeholders ($1 / ?); values are never recorded.
      [ATTR_DB_QUERY_TEXT]: compiledQuery.sql,
    };
    if (collection) attributes[ATTR_DB_COLLECTION_NAME] = collection;
    if (this.options.namespace) attributes[ATTR_DB_NAMESPACE] = this.options.namespace;
    if (this.options.serverAddress) attributes[ATTR_SERVER_ADDRESS] = this.options.serverAddress;
    if (this.options.serverPort) attributes[ATTR_SERVER_PORT] = this.options.serverPort;

    const name = collection ? `${operation} ${collection}` : operation;
    const span = tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes });
    const started = performance.now();
    let errorType: string | undefined;
    try {
      return await this.inner.executeQuery<R>(compiledQuery);
    } catch (error) {
      errorType = (error as { code?: string }).code ?? (error as Error).name ?? 'Error';
      span.setAttribute(ATTR_ERROR_TYPE, errorType);
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw error;
    } finally {
      const durationMs = performance.now() - started;
      span.end();
      const metricAttributes: Attributes = {
        [ATTR_DB_SYSTEM_NAME]: this.options.system,
        [ATTR_DB_OPERATION_NAME]: operation,
      };
      if (collection) metricAttributes[ATTR_DB_COLLECTION_NAME] = collection;
      if (errorType) metricAttributes[ATTR_ERROR_TYPE] = errorType;
      dbClientDuration().record(durationMs / 1000, metricAttributes);
      if (durationMs > this.options.slowQueryMs) this.options.onSlowQuery?.({ attributes, durationMs });
    }
  }

  streamQuery<R>(compiledQuery: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    return this.inner.streamQuery<R>(compiledQuery, chunkSize);
  }
}

const unwrap = (connection: DatabaseConnection) =>
  connection instanceof InstrumentedConnection ? connection.inner : connection;

class InstrumentedDriver implements Driver {
  constructor(
    private readonly inner: Driver,
    private readonly options: DbTelemetryOptions,
  ) {}

  init() {
    return this.inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    return new InstrumentedConnection(await this.inner.acquireConnection(), this.options);
  }

  // Transaction control goes to the driver's own connection: BEGIN/COMMIT are not worth a span each.
  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings) {
    return this.inner.beginTransaction(unwrap(connection), settings);
  }

  commitTransaction(connection: DatabaseConnection) {
    return this.inner.commitTransaction(unwrap(connection));
  }

  rollbackTransaction(connection: DatabaseConnection) {
    return this.inner.rollbackTransaction(unwrap(connection));
  }

  releaseConnection(connection: DatabaseConnection) {
    return this.inner.releaseConnection(unwrap(connection));
  }

  destroy() {
    return this.inner.destroy();
  }
}

/**
 * Wraps a Kysely dialect so every statement becomes one CLIENT span with the database semantic conventions,
 * one `db.client.operation.duration` measurement, and a slow-query report — the same for SQLite and PostgreSQL.
 */
export function instrumentDialect(dialect: Dialect, options: DbTelemetryOptions): Dialect {
  return {
    createAdapter: () => dialect.createAdapter(),
    createDriver: () => new InstrumentedDriver(dialect.createDriver(), options),
    createIntrospector: (db) => dialect.createIntrospector(db),
    createQueryCompiler: () => dialect.createQueryCompiler(),
  };
}
