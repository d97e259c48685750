import { context, SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
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
import type { CompiledQuery, DatabaseConnection, Dialect, Driver, QueryResult, TransactionSettings } from 'kysely';
import { countSqliteContention, dbClientDuration } from '../metrics';
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
  /**
   * `all` (default): one span per statement. `slow`: a span only for a statement slower than statementSpanMs or
   * failing; the others are folded into their transaction's span (or the active span, outside a transaction) as
   * a statement count and their total time.
   */
  statementSpans?: 'all' | 'slow';
  statementSpanMs?: number;
}

/** On the span that folded statements are counted into: how many, and their summed duration in milliseconds. */
export const ATTR_DB_STATEMENT_COUNT = 'drop.db.statement.count';
export const ATTR_DB_STATEMENT_DURATION_MS = 'drop.db.statement.duration_ms';

/** On a transaction's span: commit, rollback, or released (the connection went back without either). */
export const ATTR_DB_TRANSACTION_OUTCOME = 'drop.db.transaction.outcome';

const tracer = trace.getTracer('drop-db');
const folded = new WeakMap<Span, { count: number; durationMs: number }>();

function foldInto(span: Span | undefined, durationMs: number): void {
  if (!span?.isRecording()) return;
  const totals = folded.get(span) ?? { count: 0, durationMs: 0 };
  totals.count += 1;
  totals.durationMs += durationMs;
  folded.set(span, totals);
  span.setAttributes({
    [ATTR_DB_STATEMENT_COUNT]: totals.count,
    [ATTR_DB_STATEMENT_DURATION_MS]: Math.round(totals.durationMs * 1000) / 1000,
  });
}

function statementAttributes(sql: string, operation: string, collection: string | undefined, options: DbTelemetryOptions): Attributes {
  const attributes: Attributes = {
    [ATTR_DB_SYSTEM_NAME]: options.system,
    [ATTR_DB_OPERATION_NAME]: operation,
    // The compiled text has placeholders ($1 / ?); values are never recorded.
    [ATTR_DB_QUERY_TEXT]: sql,
  };
  if (collection) attributes[ATTR_DB_COLLECTION_NAME] = collection;
  if (options.namespace) attributes[ATTR_DB_NAMESPACE] = options.namespace;
  if (options.serverAddress) attributes[ATTR_SERVER_ADDRESS] = options.serverAddress;
  if (options.serverPort) attributes[ATTR_SERVER_PORT] = options.serverPort;
  return attributes;
}

class InstrumentedConnection implements DatabaseConnection {
  /** The open transaction's span (statementSpans `slow` only): the parent of its slow statements' spans. */
  transactionSpan: Span | undefined;

  constructor(
    readonly inner: DatabaseConnection,
    private readonly options: DbTelemetryOptions,
  ) {}

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    return this.options.statementSpans === 'slow' ? this.executeFolded(compiledQuery) : this.executeWithSpan(compiledQuery);
  }

  private async executeWithSpan<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const { operation, collection } = statementShape(compiledQuery.sql);
    const attributes = statementAttributes(compiledQuery.sql, operation, collection, this.options);
    const name = collection ? `${operation} ${collection}` : operation;
    const span = tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes });
    const started = performance.now();
    let errorType: string | undefined;
    try {
      return await this.inner.executeQuery<R>(compiledQuery);
    } catch (error) {
      errorType = errorTypeOf(error);
      failSpan(span, error, errorType);
      throw error;
    } finally {
      const durationMs = performance.now() - started;
      span.end();
      this.measured(compiledQuery.sql, operation, collection, errorType, durationMs, attributes);
    }
  }

  /** The span, when there is one, is made after the fact with the statement's real start and end times. */
  private async executeFolded<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const { operation, collection } = statementShape(compiledQuery.sql);
    const startTime = performance.timeOrigin + performance.now();
    const started = performance.now();
    let failure: { error: unknown; type: string } | undefined;
    try {
      return await this.inner.executeQuery<R>(compiledQuery);
    } catch (error) {
      failure = { error, type: errorTypeOf(error) };
      throw error;
    } finally {
      const durationMs = performance.now() - started;
      const slow = durationMs > (this.options.statementSpanMs ?? 0);
      let attributes: Attributes | undefined;
      if (slow || failure) {
        attributes = statementAttributes(compiledQuery.sql, operation, collection, this.options);
        const parent = this.transactionSpan ? trace.setSpan(context.active(), this.transactionSpan) : context.active();
        const span = tracer.startSpan(
          collection ? `${operation} ${collection}` : operation,
          { kind: SpanKind.CLIENT, attributes, startTime },
          parent,
        );
        if (failure) failSpan(span, failure.error, failure.type);
        span.end(startTime + durationMs);
      } else {
        foldInto(this.transactionSpan ?? trace.getActiveSpan(), durationMs);
      }
      this.measured(compiledQuery.sql, operation, collection, failure?.type, durationMs, attributes);
    }
  }

  private measured(
    sql: string,
    operation: string,
    collection: string | undefined,
    errorType: string | undefined,
    durationMs: number,
    attributes: Attributes | undefined,
  ) {
    const metricAttributes: Attributes = {
      [ATTR_DB_SYSTEM_NAME]: this.options.system,
      [ATTR_DB_OPERATION_NAME]: operation,
    };
    if (collection) metricAttributes[ATTR_DB_COLLECTION_NAME] = collection;
    if (errorType) metricAttributes[ATTR_ERROR_TYPE] = errorType;
    dbClientDuration().record(durationMs / 1000, metricAttributes);
    if (errorType && this.options.system === 'sqlite') countSqliteContention(errorType);
    if (durationMs > this.options.slowQueryMs && this.options.onSlowQuery) {
      this.options.onSlowQuery({ attributes: attributes ?? statementAttributes(sql, operation, collection, this.options), durationMs });
    }
  }

  streamQuery<R>(compiledQuery: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    return this.inner.streamQuery<R>(compiledQuery, chunkSize);
  }
}

const errorTypeOf = (error: unknown) => (error as { code?: string }).code ?? (error as Error).name ?? 'Error';

function failSpan(span: Span, error: unknown, errorType: string) {
  span.setAttribute(ATTR_ERROR_TYPE, errorType);
  span.recordException(error as Error);
  span.setStatus({ code: SpanStatusCode.ERROR });
}

const unwrap = (connection: DatabaseConnection) => (connection instanceof InstrumentedConnection ? connection.inner : connection);

function endTransactionSpan(connection: DatabaseConnection, outcome: 'commit' | 'rollback' | 'released') {
  if (!(connection instanceof InstrumentedConnection) || !connection.transactionSpan) return;
  connection.transactionSpan.setAttribute(ATTR_DB_TRANSACTION_OUTCOME, outcome);
  connection.transactionSpan.end();
  connection.transactionSpan = undefined;
}

class InstrumentedDriver implements Driver {
  constructor(
    private readonly inner: Driver,
    private readonly options: DbTelemetryOptions,
  ) {}

  init() {
    return this.inner.init();
  }

  /** BEGIN IMMEDIATE and COMMIT are where SQLite waits for, and may give up on, the write lock. */
  private async countingContention(control: () => Promise<void>): Promise<void> {
    try {
      await control();
    } catch (error) {
      if (this.options.system === 'sqlite') countSqliteContention(errorTypeOf(error));
      throw error;
    }
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    return new InstrumentedConnection(await this.inner.acquireConnection(), this.options);
  }

  // Transaction control goes to the driver's own connection: BEGIN/COMMIT are not worth a span each. With
  // statementSpans `slow` the transaction gets one span, which its statements are folded into.
  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings) {
    await this.countingContention(() => this.inner.beginTransaction(unwrap(connection), settings));
    if (this.options.statementSpans === 'slow' && connection instanceof InstrumentedConnection) {
      const attributes: Attributes = { [ATTR_DB_SYSTEM_NAME]: this.options.system, [ATTR_DB_OPERATION_NAME]: 'TRANSACTION' };
      if (this.options.namespace) attributes[ATTR_DB_NAMESPACE] = this.options.namespace;
      connection.transactionSpan = tracer.startSpan('TRANSACTION', { kind: SpanKind.CLIENT, attributes });
    }
  }

  async commitTransaction(connection: DatabaseConnection) {
    try {
      await this.countingContention(() => this.inner.commitTransaction(unwrap(connection)));
    } finally {
      endTransactionSpan(connection, 'commit');
    }
  }

  async rollbackTransaction(connection: DatabaseConnection) {
    try {
      await this.inner.rollbackTransaction(unwrap(connection));
    } finally {
      endTransactionSpan(connection, 'rollback');
    }
  }

  releaseConnection(connection: DatabaseConnection) {
    endTransactionSpan(connection, 'released');
    return this.inner.releaseConnection(unwrap(connection));
  }

  destroy() {
    return this.inner.destroy();
  }
}

/**
 * Wraps a Kysely dialect so every statement becomes one CLIENT span (or, with statementSpans `slow`, only the slow
 * and failing ones, the rest counted on their transaction's span) with the database semantic conventions,
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
