import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import zlib from 'node:zlib';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { OtlpLogRecord, OtlpSpan } from './otlp/decode';
import { decodeExportResponse, decodeStatus } from './otlp/response';
import { encodeLogs, encodeTraces, logsJson, randomHexId } from '../../../test/helpers/otlp-encode';
import { createAlertServer, type AlertServer } from './server';

// The OTLP/HTTP endpoint on a real port, with an intake that records what it is given (and rejects the records
// of the service `rejected-svc`, to answer a partial success).
const MAX = 64 * 1024;
const TOKEN = 'intake-token-for-the-server-test';
let alertServer: AlertServer;
let server: http.Server;
let base: string;
const received: { logs: OtlpLogRecord[]; spans: OtlpSpan[] } = { logs: [], spans: [] };
const logLines: Record<string, unknown>[] = [];

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) logLines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  const take = <T extends { resource: Record<string, unknown> }>(into: T[], records: T[]) => {
    const kept = records.filter((r) => r.resource['service.name'] !== 'rejected-svc');
    into.push(...kept);
    return kept.length < records.length ? { count: records.length - kept.length, reason: 'rejected-svc is not declared' } : undefined;
  };
  alertServer = createAlertServer({
    maxBodyBytes: MAX,
    logger: pino({ level: 'info' }, sink),
    intakeToken: TOKEN,
    warningIntervalMs: 400,
    intake: { logs: async (records) => take(received.logs, records), spans: async (spans) => take(received.spans, spans) },
  });
  server = alertServer.server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  alertServer.flushWarnings();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  received.logs.length = 0;
  received.spans.length = 0;
});

const AUTH = { authorization: `Bearer ${TOKEN}` };
const PROTOBUF = { 'content-type': 'application/x-protobuf', ...AUTH };
const JSON_TYPE = { 'content-type': 'application/json', ...AUTH };
const post = (path: string, body: Uint8Array | string, headers: Record<string, string>) =>
  fetch(`${base}${path}`, { method: 'POST', headers, body: body as BodyInit });

async function status(response: Response): Promise<{ code: number; message: string }> {
  const encoding = response.headers.get('content-type') === 'application/x-protobuf' ? 'protobuf' : 'json';
  return decodeStatus(new Uint8Array(await response.arrayBuffer()), encoding);
}

const errorLog = { service: 'drop', body: 'POST /api/x 500', severityNumber: 17, severityText: 'error', traceId: randomHexId(16) };

/** Sends a body with Transfer-Encoding: chunked (no Content-Length), as a stream would. */
function postChunked(path: string, chunks: Buffer[], headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${path}`, { method: 'POST', headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    const write = (i: number) => {
      if (i === chunks.length) return req.end();
      if (req.destroyed) return;
      req.write(chunks[i], () => setImmediate(() => write(i + 1)));
    };
    write(0);
  });
}

describe('alert processor OTLP/HTTP server', () => {
  it('answers GET /healthz', async () => {
    const response = await fetch(`${base}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('takes protobuf logs and answers an empty protobuf response', async () => {
    const response = await post('/v1/logs', encodeLogs([errorLog, { ...errorLog, body: 'second' }]), PROTOBUF);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/x-protobuf');
    expect(received.logs.map((l) => [l.body, l.severityNumber, l.traceId, l.resource['service.name']])).toEqual([
      ['POST /api/x 500', 17, errorLog.traceId, 'drop'],
      ['second', 17, errorLog.traceId, 'drop'],
    ]);
  });

  it('takes gzip-compressed protobuf traces (what the collector sends)', async () => {
    const traceId = randomHexId(16);
    const body = zlib.gzipSync(encodeTraces([{ service: 'drop', name: 'POST /api/x', traceId, spanId: randomHexId(8), statusCode: 2 }]));
    const response = await post('/v1/traces', body, { ...PROTOBUF, 'content-encoding': 'gzip' });
    expect(response.status).toBe(200);
    expect(received.spans).toMatchObject([{ name: 'POST /api/x', traceId, status: { code: 2 } }]);
  });

  it('takes OTLP JSON and answers {}', async () => {
    const response = await post('/v1/logs', logsJson([{ ...errorLog, eventName: 'app.started' }]), JSON_TYPE);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({});
    expect(received.logs).toMatchObject([{ eventName: 'app.started', traceId: errorLog.traceId }]);
  });

  it("malformed bodies and JSON of the wrong shape → 400 with a google.rpc.Status in the request's encoding", async () => {
    const cases: [string, Uint8Array | string, Record<string, string>][] = [
      ['/v1/logs', Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]), PROTOBUF],
      ['/v1/traces', 'not protobuf at all', PROTOBUF],
      ['/v1/logs', '{"resourceLogs": ', JSON_TYPE],
      ['/v1/logs', '{"resourceLogs": 5}', JSON_TYPE],
      ['/v1/logs', '{"resourceLogs":"nope"}', JSON_TYPE],
      ['/v1/logs', '[]', JSON_TYPE],
      ['/v1/logs', '"resourceLogs"', JSON_TYPE],
      ['/v1/logs', '{"resourceLogs": [null]}', JSON_TYPE],
      ['/v1/logs', '{"resourceLogs":[{"resource":"drop","scopeLogs":[]}]}', JSON_TYPE],
      ['/v1/logs', '{"resourceLogs":[{"scopeLogs":[{"logRecords":{"body":"x"}}]}]}', JSON_TYPE],
      ['/v1/traces', '{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"x","status":"ERROR"}]}]}]}', JSON_TYPE],
      ['/v1/logs', Buffer.from('not gzip'), { ...PROTOBUF, 'content-encoding': 'gzip' }],
    ];
    for (const [path, body, headers] of cases) {
      const response = await post(path, body, headers);
      const what = `${path} ${String(body).slice(0, 40)}`;
      expect(response.status, what).toBe(400);
      expect(response.headers.get('content-type'), what).toBe(headers['content-type']);
      const answer = await status(response);
      expect(answer.code, what).toBe(3); // INVALID_ARGUMENT
      expect(answer.message, what).toMatch(/malformed|gzip/);
    }
    expect(received.logs).toEqual([]);
    expect(received.spans).toEqual([]);
  });

  it('an empty request is a full success (nothing to take), not an error', async () => {
    const response = await post('/v1/logs', '{}', JSON_TYPE);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({});
  });

  it("without the intake token → 401 before the body is read, in the request's encoding; nothing reaches the intake", async () => {
    const body = encodeLogs([errorLog]);
    const attempts: Record<string, string>[] = [
      { 'content-type': 'application/x-protobuf' },
      { 'content-type': 'application/x-protobuf', authorization: 'Bearer wrong-token-wrong-token' },
      { 'content-type': 'application/x-protobuf', authorization: TOKEN },
      { 'content-type': 'application/x-protobuf', authorization: `Basic ${TOKEN}` },
      { 'content-type': 'application/x-protobuf', authorization: `Bearer ${TOKEN}x` },
    ];
    for (const headers of attempts) {
      const response = await post('/v1/logs', body, headers);
      expect(response.status, headers.authorization).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(response.headers.get('content-type')).toBe('application/x-protobuf');
      expect(await status(response)).toMatchObject({ code: 16 }); // UNAUTHENTICATED
    }
    const json = await post('/v1/traces', '{"resourceSpans":[]}', { 'content-type': 'application/json' });
    expect(json.status).toBe(401);
    expect(json.headers.get('content-type')).toBe('application/json');
    expect(await json.json()).toEqual({ code: 16, message: 'send Authorization: Bearer <ALERTS_INTAKE_TOKEN>' });
    // Not even an oversized body is read without the token: 401, not 413.
    expect((await post('/v1/logs', Buffer.alloc(MAX + 1), { 'content-type': 'application/x-protobuf' })).status).toBe(401);
    expect(received.logs).toEqual([]);
    expect(received.spans).toEqual([]);
  });

  it('records the intake rejects → 200 with a partial success naming the count and why (protobuf and JSON)', async () => {
    const records = [errorLog, { ...errorLog, service: 'rejected-svc' }, { ...errorLog, service: 'rejected-svc' }];
    const proto = await post('/v1/logs', encodeLogs(records), PROTOBUF);
    expect(proto.status).toBe(200);
    expect(decodeExportResponse(new Uint8Array(await proto.arrayBuffer()), 'logs', 'protobuf')).toEqual({
      rejected: 2,
      errorMessage: 'rejected-svc is not declared',
    });
    const json = await post('/v1/logs', logsJson(records), JSON_TYPE);
    expect(await json.json()).toEqual({ partialSuccess: { rejectedLogRecords: '2', errorMessage: 'rejected-svc is not declared' } });
    const spans = await post(
      '/v1/traces',
      encodeTraces([{ service: 'rejected-svc', name: 'x', traceId: randomHexId(16), spanId: randomHexId(8), statusCode: 2 }]),
      PROTOBUF,
    );
    expect(decodeExportResponse(new Uint8Array(await spans.arrayBuffer()), 'traces', 'protobuf').rejected).toBe(1);
    expect(received.logs).toHaveLength(2);
  });

  it('refusals are logged throttled: 300 malformed requests within the interval make two lines, counts 1 and 299', async () => {
    const lines: Record<string, unknown>[] = [];
    const own = createAlertServer({
      maxBodyBytes: MAX,
      logger: pino(
        { level: 'info' },
        new Writable({
          write(chunk: Buffer, _encoding, callback) {
            for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
            callback();
          },
        }),
      ),
      intakeToken: TOKEN,
      warningIntervalMs: 60_000,
      intake: { logs: async () => undefined, spans: async () => undefined },
    });
    await new Promise<void>((resolve) => own.server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(own.server.address() as AddressInfo).port}/v1/logs`;
    try {
      for (let i = 0; i < 300; i++) {
        const response = await fetch(url, { method: 'POST', headers: JSON_TYPE, body: '{"resourceLogs":"nope"}' });
        expect(response.status).toBe(400);
      }
      for (let i = 0; i < 50; i++)
        expect((await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(401);
      own.flushWarnings();
      const refused = lines.filter((line) => line['event.name'] === 'alerts.intake_refused');
      expect(refused.map((line) => [line['http.response.status_code'], line.count])).toEqual([
        [400, 1],
        [401, 1],
        [400, 299],
        [401, 49],
      ]);
      expect(refused[0]!.reason).toMatch(/resourceLogs must be an array/);
      expect(refused[1]!.msg).toBe('OTLP request refused: no valid intake token');
    } finally {
      own.server.closeAllConnections();
      await new Promise((resolve) => own.server.close(resolve));
    }
  });

  it('a kind of refusal quiet for a whole interval is logged at once again when it comes back', async () => {
    await new Promise((resolve) => setTimeout(resolve, 900)); // the earlier tests' refusals reported and forgotten
    logLines.length = 0;
    await post('/v1/traces', '[]', JSON_TYPE);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await post('/v1/traces', '[]', JSON_TYPE);
    const refused = logLines.filter((line) => line['event.name'] === 'alerts.intake_refused');
    expect(refused.map((line) => line.count)).toEqual([1, 1]);
  });

  it('refuses a declared Content-Length over the limit with 413', async () => {
    const response = await post('/v1/logs', Buffer.alloc(MAX + 1), PROTOBUF);
    expect(response.status).toBe(413);
    expect(response.headers.get('content-type')).toBe('application/x-protobuf');
    expect(await status(response)).toMatchObject({ code: 3, message: expect.stringMatching(/larger than/) });
  });

  it('enforces the limit while a chunked body streams in', async () => {
    const chunks = Array.from({ length: 40 }, () => Buffer.alloc(4096, 1));
    const result = await postChunked('/v1/logs', chunks, PROTOBUF);
    expect(result.status).toBe(413);
  });

  it('enforces the limit on the decompressed size: a gzip bomb → 413', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(50 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(MAX);
    const response = await post('/v1/logs', bomb, { ...PROTOBUF, 'content-encoding': 'gzip' });
    expect(response.status).toBe(413);
    expect((await status(response)).message).toMatch(/decompressed/);
  });

  it('unsupported content type or encoding → 415; unknown path 404; wrong method 405', async () => {
    const text = await post('/v1/logs', 'x', { 'content-type': 'text/plain', ...AUTH });
    expect(text.status).toBe(415);
    expect(await text.json()).toMatchObject({ code: 3 });
    expect((await post('/v1/logs', 'x', { ...PROTOBUF, 'content-encoding': 'br' })).status).toBe(415);
    expect((await post('/v1/metrics', 'x', PROTOBUF)).status).toBe(404);
    const get = await fetch(`${base}/v1/logs`);
    expect(get.status).toBe(405);
    expect(await get.json()).toMatchObject({ code: 12 });
    expect(await (await fetch(`${base}/nowhere`)).json()).toMatchObject({ error: { code: 'not_found' } });
  });

  it('is still serving after all of the above', async () => {
    const response = await post('/v1/logs', encodeLogs([errorLog]), PROTOBUF);
    expect(response.status).toBe(200);
    expect(received.logs).toHaveLength(1);
  });
});
