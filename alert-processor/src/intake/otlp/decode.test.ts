import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { OTLPMetricExporter as JsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationType, MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeMetrics, encodingOf, type OtlpMetric } from './decode';

// What real senders put on the wire — the OpenTelemetry JS metric exporters, protobuf and JSON — decoded: every kind,
// with its values (counters' sums, histograms' counts and sums), and each kind's points' attributes from its own field.
let server: http.Server;
let url = '';
const bodies: { body: Buffer; contentType: string }[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      bodies.push({ body: Buffer.concat(chunks), contentType: req.headers['content-type'] ?? '' });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/metrics`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

async function export_(exporter: PushMetricExporter): Promise<OtlpMetric[]> {
  bodies.length = 0;
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': 'decode-test' }),
    readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 })],
    views: [{ instrumentName: 'exp.duration', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }],
  });
  const meter = provider.getMeter('decode-test');
  meter.createCounter('items.sent').add(41, { exporter: 'otlp_http/x' });
  meter.createCounter('items.sent').add(1, { exporter: 'otlp_http/x' });
  meter.createUpDownCounter('queue.size').add(-3, { exporter: 'otlp_http/y' });
  meter.createGauge('memory').record(2.5, { pool: 'heap' });
  const histogram = meter.createHistogram('request.duration');
  for (const value of [0.1, 0.2, 0.7]) histogram.record(value, { route: '/api/x' });
  meter.createHistogram('exp.duration').record(4, { route: '/api/y' });
  await provider.forceFlush();
  await provider.shutdown();
  const [sent] = bodies;
  if (!sent) throw new Error('the exporter sent nothing');
  return decodeMetrics(sent.body, encodingOf(sent.contentType)!);
}

describe.each([
  ['protobuf', () => new ProtoMetricExporter({ url })],
  ['JSON', () => new JsonMetricExporter({ url })],
])('decodeMetrics of what the OpenTelemetry JS exporter sends (%s)', (_, exporter) => {
  it('reads every kind with its values and attributes', async () => {
    const metrics = await export_(exporter());
    const byName = new Map(metrics.map((m) => [m.name, m]));
    expect(byName.get('items.sent')).toMatchObject({
      kind: 'sum',
      monotonic: true,
      temporality: 2,
      resource: { 'service.name': 'decode-test' },
      points: [{ attributes: { exporter: 'otlp_http/x' }, value: 42 }],
      dataPointAttributes: [{ exporter: 'otlp_http/x' }],
    });
    expect(byName.get('queue.size')).toMatchObject({ kind: 'sum', monotonic: false, points: [{ value: -3 }] });
    expect(byName.get('memory')).toMatchObject({ kind: 'gauge', points: [{ attributes: { pool: 'heap' }, value: 2.5 }] });
    const histogram = byName.get('request.duration')!;
    expect(histogram).toMatchObject({ kind: 'histogram', temporality: 2, points: [{ attributes: { route: '/api/x' }, count: 3 }] });
    expect(histogram.points[0]!.sum).toBeCloseTo(1.0);
    expect(byName.get('exp.duration')).toMatchObject({
      kind: 'exponentialHistogram',
      points: [{ attributes: { route: '/api/y' }, count: 1, sum: 4 }],
    });
    for (const metric of metrics) expect(metric.points[0]!.timeUnixNano).toMatch(/^[1-9]\d{18}$/);
  });
});
