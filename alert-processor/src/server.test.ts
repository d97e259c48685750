import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import zlib from 'node:zlib';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { OtlpLogRecord, OtlpSpan } from './otlp/decode';
import { encodeLogs, encodeTraces, logsJson, randomHexId } from '../../test/helpers/otlp-encode';
import { createAlertServer } from './server';

// The OTLP/HTTP endpoint on a real port, with an intake that records what it is given.
const MAX = 64 * 1024;
let server: http.Server;
let base: string;
const received: { logs: OtlpLogRecord[]; spans: OtlpSpan[] } = { logs: [], spans: [] };

beforeAll(async () => {
  const sink = new Writable({ write: (_chunk, _encoding, callback) => callback() });
  server = createAlertServer({
    maxBodyBytes: MAX,
    logger: pino({ level: 'silent' }, sink),
    intake: { logs: (records) => received.logs.push(...records), spans: (spans) => received.spans.push(...spans) },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  received.logs.length = 0;
  received.spans.length = 0;
});

const PROTOBUF = { 'content-type': 'application/x-protobuf' };
const post = (path: string, body: Uint8Array | string, headers: Record<string, string>) =>
  fetch(`${base}${path}`, { method: 'POST', headers, body: body as BodyInit });

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
    const response = await post('/v1/logs', logsJson([{ ...errorLog, eventName: 'app.started' }]), { 'content-type': 'application/json' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({});
    expect(received.logs).toMatchObject([{ eventName: 'app.started', traceId: errorLog.traceId }]);
  });

  it('malformed bodies → 400 with the error shape', async () => {
    const cases: [string, Uint8Array | string, Record<string, string>][] = [
      ['/v1/logs', Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]), PROTOBUF],
      ['/v1/traces', 'not protobuf at all', PROTOBUF],
      ['/v1/logs', '{"resourceLogs": ', { 'content-type': 'application/json' }],
      ['/v1/logs', '{"resourceLogs": 5}', { 'content-type': 'application/json' }],
      ['/v1/logs', '{"resourceLogs": [null]}', { 'content-type': 'application/json' }],
      ['/v1/logs', Buffer.from('not gzip'), { ...PROTOBUF, 'content-encoding': 'gzip' }],
    ];
    for (const [path, body, headers] of cases) {
      const response = await post(path, body, headers);
      expect(response.status, `${path} ${String(body).slice(0, 20)}`).toBe(400);
      const json = (await response.json()) as { error: { code: string; message: string } };
      expect(json.error.code).toMatch(/^malformed_/);
    }
    expect(received.logs).toEqual([]);
  });

  it('refuses a declared Content-Length over the limit with 413', async () => {
    const response = await post('/v1/logs', Buffer.alloc(MAX + 1), PROTOBUF);
    expect(response.status).toBe(413);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');
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
    expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(/decompressed/);
  });

  it('unsupported content type or encoding → 415; unknown path 404; wrong method 405', async () => {
    expect((await post('/v1/logs', 'x', { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await post('/v1/logs', 'x', { ...PROTOBUF, 'content-encoding': 'br' })).status).toBe(415);
    expect((await post('/v1/metrics', 'x', PROTOBUF)).status).toBe(404);
    expect((await fetch(`${base}/v1/logs`)).status).toBe(405);
  });

  it('is still serving after all of the above', async () => {
    const response = await post('/v1/logs', encodeLogs([errorLog]), PROTOBUF);
    expect(response.status).toBe(200);
    expect(received.logs).toHaveLength(1);
  });
});
