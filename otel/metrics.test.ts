import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOtlpReceiver, type OtlpReceiver } from '../test/helpers/otlp-receiver';
import { parseTelemetryConfig } from './config';
import { countOutcome, countSqliteContention, dbClientDuration, httpServerDuration, observeConnectionPool } from './metrics';
import { startTelemetry, type Telemetry } from './sdk';

let receiver: OtlpReceiver;
let telemetry: Telemetry | undefined;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url;
  // Only the endpoint: metrics are on by default, over the real SDK and exporter, to a real receiver (OTLP/JSON: the
  // receiver's protobuf schema reads no histogram buckets).
  const config = parseTelemetryConfig(
    {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_TRACES_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
      OTEL_METRIC_EXPORT_INTERVAL: '200',
    },
    '1.2.3',
  );
  expect(config.metricsExporter).toBe('otlp');
  telemetry = startTelemetry(config);
});

afterAll(async () => {
  await telemetry?.shutdown(2_000);
  await receiver.close();
});

const pointsOf = (name: string) => receiver.metrics.filter((m) => m.name === name).flatMap((m) => m.dataPointAttributes);

describe("the layer's metrics, exported by the SDK to an OTLP receiver", () => {
  it('every instrument arrives with its unit and attributes, runtime metrics beside them', async () => {
    httpServerDuration().record(0.012, {
      'url.scheme': 'http',
      'http.request.method': 'GET',
      'http.route': '/api/account',
      'http.response.status_code': 200,
    });
    dbClientDuration().record(0.00004, { 'db.system.name': 'sqlite', 'db.operation.name': 'SELECT' });
    countOutcome('drop.transfers', 'success');
    countOutcome('drop.auth.logins', 'invalid_credentials');
    countOutcome('drop.qr.payments', 'success');
    countSqliteContention('SQLITE_BUSY_SNAPSHOT');
    countSqliteContention('SQLITE_CONSTRAINT_UNIQUE');
    observeConnectionPool({ totalCount: 4, idleCount: 3, waitingCount: 1 }, { system: 'postgresql', poolName: 'drop', max: 10 });

    const wanted = [
      'http.server.request.duration',
      'db.client.operation.duration',
      'drop.transfers',
      'drop.auth.logins',
      'drop.qr.payments',
      'drop.db.sqlite.busy',
      'db.client.connection.count',
      'db.client.connection.max',
      'db.client.connection.pending_requests',
      'nodejs.eventloop.utilization',
      'nodejs.eventloop.delay.p99',
      'v8js.memory.heap.used',
    ];
    await receiver.waitFor(() => wanted.every((n) => receiver.metrics.some((m) => m.name === n)), 10_000, wanted.join(', '));
    const unit = (name: string) => receiver.metrics.find((m) => m.name === name)?.unit;
    expect(unit('http.server.request.duration')).toBe('s');
    expect(unit('db.client.operation.duration')).toBe('s');
    expect(unit('drop.transfers')).toBe('{transfer}');
    expect(unit('db.client.connection.count')).toBe('{connection}');
    expect(pointsOf('drop.auth.logins')).toContainEqual({ outcome: 'invalid_credentials' });
    expect(pointsOf('drop.db.sqlite.busy')).toEqual([{ 'db.system.name': 'sqlite', 'error.type': 'SQLITE_BUSY_SNAPSHOT' }]);
    const pool = { 'db.system.name': 'postgresql', 'db.client.connection.pool.name': 'drop' };
    expect(pointsOf('db.client.connection.count')).toEqual(
      expect.arrayContaining([
        { ...pool, 'db.client.connection.state': 'idle' },
        { ...pool, 'db.client.connection.state': 'used' },
      ]),
    );
    expect(pointsOf('db.client.connection.max')).toContainEqual(pool);
    const resource = receiver.metrics[0]!.resource;
    expect(resource['service.instance.id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(resource['service.version']).toBe('1.2.3');
  });
});
