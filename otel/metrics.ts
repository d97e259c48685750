import { metrics, type Attributes, type Counter, type Histogram, type Meter } from '@opentelemetry/api';
import {
  ATTR_DB_CLIENT_CONNECTION_POOL_NAME,
  ATTR_DB_CLIENT_CONNECTION_STATE,
  ATTR_DB_SYSTEM_NAME,
  ATTR_ERROR_TYPE,
  ATTR_OUTCOME,
  DB_CLIENT_CONNECTION_STATE_VALUE_IDLE,
  DB_CLIENT_CONNECTION_STATE_VALUE_USED,
  METRIC_DB_CLIENT_CONNECTION_COUNT,
  METRIC_DB_CLIENT_CONNECTION_MAX,
  METRIC_DB_CLIENT_CONNECTION_PENDING_REQUESTS,
  METRIC_DB_CLIENT_OPERATION_DURATION,
  METRIC_DROP_AUTH_LOGINS,
  METRIC_DROP_DB_SQLITE_BUSY,
  METRIC_DROP_QR_PAYMENTS,
  METRIC_DROP_TRANSFERS,
  METRIC_HTTP_SERVER_REQUEST_DURATION,
} from './semconv';

/** The HTTP semantic conventions' recommended boundaries for http.server.request.duration (seconds). */
export const HTTP_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
/**
 * db.client.operation.duration (seconds): an in-process SQLite statement takes tens of microseconds, a PostgreSQL
 * one a millisecond or more; the HTTP boundaries would put every SQLite statement in the first bucket.
 */
export const DB_DURATION_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const instrumentsKey = Symbol.for('drop.metrics');
interface Instruments {
  httpDuration?: Histogram;
  dbDuration?: Histogram;
  sqliteBusy?: Counter;
  business: Map<string, Counter>;
}
type GlobalWithInstruments = typeof globalThis & { [instrumentsKey]?: Instruments };

/**
 * Instruments are created on first use, after register() installed the MeterProvider (the API's getMeter() before
 * that returns a no-op meter for good), and kept on globalThis: Next bundles each route separately. Without a
 * MeterProvider (metrics off) they are the API's no-op instruments and recording costs nothing.
 */
function instruments(): Instruments {
  const g = globalThis as GlobalWithInstruments;
  g[instrumentsKey] ??= { business: new Map() };
  return g[instrumentsKey];
}

const meter = (): Meter => metrics.getMeter('drop');

export function httpServerDuration(): Histogram {
  const all = instruments();
  all.httpDuration ??= meter().createHistogram(METRIC_HTTP_SERVER_REQUEST_DURATION, {
    unit: 's',
    description: 'Duration of HTTP server requests.',
    advice: { explicitBucketBoundaries: HTTP_DURATION_BUCKETS },
  });
  return all.httpDuration;
}

export function dbClientDuration(): Histogram {
  const all = instruments();
  all.dbDuration ??= meter().createHistogram(METRIC_DB_CLIENT_OPERATION_DURATION, {
    unit: 's',
    description: 'Duration of database client operations.',
    advice: { explicitBucketBoundaries: DB_DURATION_BUCKETS },
  });
  return all.dbDuration;
}

const SQLITE_CONTENTION = new Set(['SQLITE_BUSY', 'SQLITE_LOCKED']);

/** Counts a SQLite statement that failed on the database lock (SQLITE_BUSY, SQLITE_LOCKED and their extended codes). */
export function countSqliteContention(errorCode: string): void {
  const base = errorCode.split('_').slice(0, 2).join('_');
  if (!SQLITE_CONTENTION.has(base)) return;
  const all = instruments();
  all.sqliteBusy ??= meter().createCounter(METRIC_DROP_DB_SQLITE_BUSY, {
    unit: '{error}',
    description: 'SQLite statements that failed because the database was busy or locked.',
  });
  all.sqliteBusy.add(1, { [ATTR_DB_SYSTEM_NAME]: 'sqlite', [ATTR_ERROR_TYPE]: errorCode });
}

const BUSINESS: Record<BusinessMetric, { unit: string; description: string }> = {
  [METRIC_DROP_TRANSFERS]: { unit: '{transfer}', description: 'Transfers initiated, by outcome.' },
  [METRIC_DROP_QR_PAYMENTS]: { unit: '{payment}', description: 'QR payments, by outcome.' },
  [METRIC_DROP_AUTH_LOGINS]: { unit: '{login}', description: 'Sign-in attempts, by outcome.' },
};

export type BusinessMetric = typeof METRIC_DROP_TRANSFERS | typeof METRIC_DROP_QR_PAYMENTS | typeof METRIC_DROP_AUTH_LOGINS;

/** One business event of the domain with its outcome (`success`, or the domain error's code). */
export function countOutcome(metric: BusinessMetric, outcome: string): void {
  const all = instruments();
  let counter = all.business.get(metric);
  if (!counter) {
    counter = meter().createCounter(metric, BUSINESS[metric]);
    all.business.set(metric, counter);
  }
  counter.add(1, { [ATTR_OUTCOME]: outcome });
}

/** What a connection pool reports about itself (node-postgres' pg.Pool has these). */
export interface PoolStats {
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
}

/**
 * db.client.connection.count (idle/used), db.client.connection.max and db.client.connection.pending_requests of a
 * pool, read at each collection. Call once per pool.
 */
export function observeConnectionPool(pool: PoolStats, options: { system: string; poolName: string; max: number }): void {
  const m = meter();
  const base: Attributes = { [ATTR_DB_SYSTEM_NAME]: options.system, [ATTR_DB_CLIENT_CONNECTION_POOL_NAME]: options.poolName };
  const count = m.createObservableUpDownCounter(METRIC_DB_CLIENT_CONNECTION_COUNT, {
    unit: '{connection}',
    description: 'Connections of the pool, by state.',
  });
  const max = m.createObservableUpDownCounter(METRIC_DB_CLIENT_CONNECTION_MAX, {
    unit: '{connection}',
    description: 'The most connections the pool may open.',
  });
  const pending = m.createObservableUpDownCounter(METRIC_DB_CLIENT_CONNECTION_PENDING_REQUESTS, {
    unit: '{request}',
    description: 'Callers waiting for a connection from the pool.',
  });
  m.addBatchObservableCallback(
    (result) => {
      result.observe(count, pool.idleCount, { ...base, [ATTR_DB_CLIENT_CONNECTION_STATE]: DB_CLIENT_CONNECTION_STATE_VALUE_IDLE });
      result.observe(count, pool.totalCount - pool.idleCount, {
        ...base,
        [ATTR_DB_CLIENT_CONNECTION_STATE]: DB_CLIENT_CONNECTION_STATE_VALUE_USED,
      });
      result.observe(max, options.max, base);
      result.observe(pending, pool.waitingCount, base);
    },
    [count, max, pending],
  );
}
