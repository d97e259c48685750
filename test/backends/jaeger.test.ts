// A request's trace as an operator finds it in Jaeger: the app exports to the real collector, which sends traces to a
// real Jaeger v2 (extras.jaeger.yaml); the test fetches the trace from Jaeger's query API by the request's
// x-request-id and reads the attributes standard tooling looks for, in their stable semantic-convention names.
import { beforeAll, describe, expect, it } from 'vitest';
import { makeTraffic, type TrafficRequest } from '../helpers/drop-traffic';
import { useStack } from '../helpers/stack';
import { eventually, useTelemetryBackends } from '../helpers/telemetry-backends';

type AnyValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };
interface JaegerSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number | string;
  attributes?: { key: string; value: AnyValue }[];
}
interface JaegerTrace {
  resourceSpans: { resource: { attributes?: { key: string; value: AnyValue }[] }; scopeSpans: { spans: JaegerSpan[] }[] }[];
}

const valueOf = (value: AnyValue | undefined) =>
  value?.stringValue ?? (value?.intValue !== undefined ? Number(value.intValue) : (value?.boolValue ?? value?.doubleValue));
const attributesOf = (list: { key: string; value: AnyValue }[] = []) =>
  Object.fromEntries(list.map(({ key, value }) => [key, valueOf(value)]));
const isServer = (span: JaegerSpan) => span.kind === 2 || span.kind === 'SPAN_KIND_SERVER';

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`a request's trace in Jaeger v2 (${dialect})`, () => {
    const backends = useTelemetryBackends({ jaeger: true });
    const stack = useStack({ dialect, env: () => backends().appEnv() });
    let traffic: TrafficRequest[] = [];
    beforeAll(async () => {
      traffic = await makeTraffic(stack());
    }, 120_000);

    /** The whole trace of one request, from Jaeger's API v3 (OTLP JSON), once its server span has arrived. */
    async function traceOf(request: TrafficRequest) {
      const url = `${backends().jaeger!.queryUrl}/api/v3/traces/${request.requestId}`;
      return eventually(async () => {
        const response = await fetch(url);
        const text = await response.text();
        if (!response.ok) throw new Error(`Jaeger answered ${response.status}: ${text.slice(0, 300)}`);
        const { result } = JSON.parse(text) as { result: JaegerTrace };
        const resourceSpans = result.resourceSpans ?? [];
        const spans = resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
        if (!spans.some(isServer)) throw new Error(`no server span yet among: ${spans.map((s) => s.name).join(', ')}`);
        return { spans, resources: resourceSpans.map((r) => attributesOf(r.resource.attributes)) };
      }, `the trace of ${request.method} ${request.path} (x-request-id ${request.requestId}) in Jaeger`);
    }

    it(
      'finds a transfer by its x-request-id: one server span with the stable HTTP attributes, DB spans under it',
      { timeout: 60_000 },
      async () => {
        const transfer = traffic.find((r) => r.path === '/api/transfers' && r.status === 201)!;
        expect(transfer.requestId).toMatch(/^[0-9a-f]{32}$/);
        const { spans, resources } = await traceOf(transfer);

        expect(new Set(spans.map((s) => s.traceId.toLowerCase()))).toEqual(new Set([transfer.requestId]));
        const servers = spans.filter(isServer);
        expect(servers).toHaveLength(1);
        const server = attributesOf(servers[0]!.attributes);
        expect(server).toMatchObject({
          'http.request.method': 'POST',
          'http.route': '/api/transfers',
          'url.path': '/api/transfers',
          'url.scheme': 'http',
          'http.response.status_code': 201,
          'server.address': '127.0.0.1',
        });
        for (const deprecated of ['http.method', 'http.target', 'http.status_code', 'http.url', 'enduser.id']) {
          expect(server, `deprecated ${deprecated} on the server span`).not.toHaveProperty(deprecated);
        }
        expect(server['user.id']).toEqual(expect.any(String));

        const db = spans.map((s) => attributesOf(s.attributes)).filter((a) => a['db.system.name'] !== undefined);
        expect(db.length).toBeGreaterThan(0);
        expect(new Set(db.map((a) => a['db.system.name']))).toEqual(new Set([dialect === 'sqlite' ? 'sqlite' : 'postgresql']));
        if (dialect === 'sqlite') {
          // SQLite's default (DB_STATEMENT_SPANS=slow): the transaction is one span, its fast statements folded into it.
          expect(db.map((a) => a['db.operation.name'])).toContain('TRANSACTION');
          expect(db.some((a) => Number(a['drop.db.statement.count']) > 0)).toBe(true);
        } else {
          expect(db.map((a) => a['db.operation.name'])).toEqual(expect.arrayContaining(['INSERT']));
          expect(db.some((a) => a['db.collection.name'] === 'transfers' && typeof a['db.query.text'] === 'string')).toBe(true);
        }
        for (const a of db) expect(a['db.statement'], 'the deprecated db.statement').toBeUndefined();

        expect(resources[0]).toMatchObject({ 'service.name': 'drop', 'service.instance.id': expect.any(String) });
      },
    );

    it('a refused request has its 4xx status on the server span', { timeout: 60_000 }, async () => {
      const refused = traffic.find((r) => r.path === '/api/qr' && r.status === 400)!;
      const { spans } = await traceOf(refused);
      const server = attributesOf(spans.find(isServer)!.attributes);
      expect(server).toMatchObject({ 'http.request.method': 'POST', 'http.response.status_code': 400, 'http.route': '/api/qr' });
    });

    it('every request of the traffic is one trace in Jaeger, under its own x-request-id', { timeout: 120_000 }, async () => {
      const ids = new Set(traffic.map((r) => r.requestId));
      expect(ids.size).toBe(traffic.length);
      for (const request of traffic) {
        const { spans } = await traceOf(request);
        expect(spans.filter(isServer).map((s) => attributesOf(s.attributes)['http.response.status_code'])).toEqual([request.status]);
      }
    });
  });
}
