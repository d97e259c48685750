// The app's metrics as an operator sees them in Prometheus: two app instances (SQLite and PostgreSQL) export OTLP to
// the real collector, whose extras.prometheus.yaml remote-writes to a real Prometheus; the test reads the series back
// with PromQL, then runs every panel query of the shipped Grafana dashboards (otel/dashboards) against them.
import crypto from 'node:crypto';
import SQLite from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { panelQueries, readDashboards, resolveVariables, substitute } from '../helpers/dashboard-queries';
import { makeTraffic } from '../helpers/drop-traffic';
import type { ApiResponse } from '../helpers/http-client';
import type { PromSample } from '../helpers/prometheus-process';
import { useStack } from '../helpers/stack';
import { eventually, useTelemetryBackends } from '../helpers/telemetry-backends';

const POOL_MAX = 4;

describe("the app's metrics in Prometheus, through the real collector", () => {
  const backends = useTelemetryBackends({ prometheus: true });
  const sqlite = useStack({ dialect: 'sqlite', env: () => backends().appEnv() });
  const postgres = useStack({ dialect: 'postgres', env: () => ({ ...backends().appEnv(), PG_POOL_MAX: String(POOL_MAX) }) });
  const prometheus = () => backends().prometheus!;
  /** Polls a PromQL query until it returns series. */
  const series = (promql: string, timeoutMs = 30_000) => eventually(() => prometheus().query(promql), `PromQL ${promql}`, timeoutMs);
  const instances: { sqlite: string; postgres: string } = { sqlite: '', postgres: '' };
  let busyResponse: ApiResponse;

  beforeAll(async () => {
    await Promise.all([makeTraffic(sqlite()), makeTraffic(postgres())]);

    // Lock contention for real: another connection holds SQLite's write lock past busy_timeout (5 s).
    const { client } = await sqlite().signIn('alice@drop.test');
    const holder = new SQLite(sqlite().database.url.slice('file:'.length));
    holder.exec('BEGIN IMMEDIATE');
    try {
      busyResponse = await client.post(
        '/api/transfers',
        { toEmail: 'bob@drop.test', amountCents: 100 },
        { headers: { 'idempotency-key': crypto.randomUUID() } },
      );
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }

    const instanceOf = async (system: string) => {
      const [sample] = await series(`count by (instance) (db_client_operation_duration_seconds_count{db_system_name="${system}"})`);
      return sample!.metric.instance!;
    };
    instances.sqlite = await instanceOf('sqlite');
    instances.postgres = await instanceOf('postgresql');
  }, 120_000);

  const byInstance = (samples: PromSample[]) => Object.fromEntries(samples.map((s) => [s.metric.instance, Number(s.value[1])]));

  it('each process is its own instance (service.instance.id), with service_name on its series and one target_info', async () => {
    expect(instances.sqlite).not.toBe(instances.postgres);
    const identities = await series('count by (job, service_name, instance) (http_server_request_duration_seconds_count)');
    expect(identities.map((s) => s.metric).sort((a, b) => a.instance!.localeCompare(b.instance!))).toEqual(
      [instances.sqlite, instances.postgres].sort().map((instance) => ({ job: 'drop', service_name: 'drop', instance })),
    );
    const targets = await series('target_info{job="drop"}');
    expect(targets.map((s) => s.metric.instance).sort()).toEqual([instances.sqlite, instances.postgres].sort());
    for (const target of targets) expect(target.metric).toMatchObject({ service_version: expect.any(String) });
  });

  it('http.server.request.duration: per route, method, status and scheme, in seconds', async () => {
    const created = await series(
      'sum by (instance) (http_server_request_duration_seconds_count{http_route="/api/transfers", http_request_method="POST", http_response_status_code="201", url_scheme="http"})',
    );
    const counts = byInstance(created);
    // Four transfers created by the traffic on each instance (three confirmed, one cancelled).
    expect(counts[instances.sqlite]).toBeGreaterThanOrEqual(4);
    expect(counts[instances.postgres]).toBeGreaterThanOrEqual(4);
    const buckets = await series('count by (le) (http_server_request_duration_seconds_bucket{http_route="/api/transfers"})');
    expect(buckets.map((s) => s.metric.le)).toEqual(expect.arrayContaining(['0.005', '0.1', '10', '+Inf']));
  });

  it('db.client.operation.duration: per system, operation and table, with buckets fit for in-process SQLite', async () => {
    const operations = await series(
      'sum by (db_system_name, db_operation_name) (db_client_operation_duration_seconds_count{db_collection_name="transfers"})',
    );
    expect(operations.map((s) => `${s.metric.db_system_name} ${s.metric.db_operation_name}`)).toEqual(
      expect.arrayContaining(['sqlite INSERT', 'sqlite UPDATE', 'postgresql INSERT', 'postgresql UPDATE']),
    );
    const buckets = await series('count by (le) (db_client_operation_duration_seconds_bucket{db_system_name="sqlite"})');
    expect(buckets.map((s) => s.metric.le)).toEqual(expect.arrayContaining(['0.0001', '0.001', '+Inf']));
    // Not every SQLite statement lands in the first bucket (the HTTP boundaries started at 5 ms).
    const [fast] = await series('sum(db_client_operation_duration_seconds_bucket{db_system_name="sqlite", le="0.005"})');
    const [all] = await series('sum(db_client_operation_duration_seconds_count{db_system_name="sqlite"})');
    expect(Number(all!.value[1])).toBeGreaterThan(0);
    const [first] = await series('sum(db_client_operation_duration_seconds_bucket{db_system_name="sqlite", le="0.0001"})');
    expect(Number(first!.value[1])).toBeLessThan(Number(fast!.value[1]));
  });

  it('a failed DB operation carries error.type: the INSERT of a taken email, on both systems', async () => {
    const failed = await series(
      'sum by (db_system_name, error_type) (db_client_operation_duration_seconds_count{db_collection_name="users", db_operation_name="INSERT", error_type!=""})',
    );
    expect(failed.map((s) => s.metric).sort((a, b) => a.db_system_name!.localeCompare(b.db_system_name!))).toEqual([
      { db_system_name: 'postgresql', error_type: '23505' },
      { db_system_name: 'sqlite', error_type: expect.stringMatching(/^SQLITE_CONSTRAINT/) },
    ]);
  });

  it('runtime metrics of each instance: event-loop delay and utilisation, heap, GC', async () => {
    for (const metric of [
      'nodejs_eventloop_delay_p99_seconds',
      'nodejs_eventloop_utilization_ratio',
      'v8js_memory_heap_used_bytes',
      'v8js_gc_duration_seconds_count',
    ]) {
      const samples = await series(`count by (instance) (${metric})`);
      expect(Object.keys(byInstance(samples)).sort(), metric).toEqual([instances.sqlite, instances.postgres].sort());
    }
  });

  it('the PostgreSQL pool: connections by state and its maximum, on the PostgreSQL instance only', async () => {
    const max = await series('db_client_connection_max');
    expect(byInstance(max)).toEqual({ [instances.postgres]: POOL_MAX });
    const states = await series(`db_client_connection_count{instance="${instances.postgres}"}`);
    expect(states.map((s) => s.metric.db_client_connection_state).sort()).toEqual(['idle', 'used']);
    for (const state of states)
      expect(state.metric).toMatchObject({ db_system_name: 'postgresql', db_client_connection_pool_name: 'drop' });
    expect(states.reduce((sum, s) => sum + Number(s.value[1]), 0)).toBeLessThanOrEqual(POOL_MAX);
  });

  it('business counters by outcome: transfers, QR payments, sign-ins', async () => {
    for (const metric of ['drop_transfers_total', 'drop_qr_payments_total', 'drop_auth_logins_total']) {
      const outcomes = await series(`sum by (instance, outcome) (${metric})`);
      for (const instance of [instances.sqlite, instances.postgres]) {
        const mine = outcomes.filter((s) => s.metric.instance === instance).map((s) => s.metric.outcome);
        expect(mine, `${metric} on ${instance}`).toContain('success');
        expect(mine.filter((o) => o !== 'success').length, `${metric} on ${instance}: a failure outcome`).toBeGreaterThan(0);
      }
    }
  });

  it('SQLite lock contention: the 503 the user got is counted on drop.db.sqlite.busy', async () => {
    expect(busyResponse.status, busyResponse.text).toBe(503);
    expect(busyResponse.body).toEqual({ error: { code: 'database_busy', message: expect.any(String) } });
    const busy = await series('sum by (instance, error_type) (drop_db_sqlite_busy_total)');
    expect(busy).toEqual([
      { metric: { instance: instances.sqlite, error_type: expect.stringMatching(/^SQLITE_BUSY/) }, value: [expect.any(Number), '1'] },
    ]);
  });

  describe.each(readDashboards())('dashboard $file', ({ dashboard }) => {
    it('every panel query returns series, with the variables resolved from Prometheus', { timeout: 120_000 }, async () => {
      const variables = await eventually(
        () => resolveVariables(dashboard, prometheus(), { job: 'drop' }),
        `the variables of ${dashboard.uid}`,
      );
      expect(variables.job).toBe('drop');
      const queries = panelQueries(dashboard);
      expect(queries.length).toBeGreaterThan(0);
      const empty: string[] = [];
      for (const query of queries) {
        const promql = substitute(query.expr, variables);
        expect(promql, `${query.panel}: a variable left unresolved`).not.toMatch(/\$/);
        try {
          await series(promql, 20_000);
        } catch (error) {
          empty.push(`${query.panel} [${query.refId}]: ${(error as Error).message}`);
        }
      }
      expect(empty).toEqual([]);
    });
  });
});
