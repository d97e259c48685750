// A stand-in for a third-party OTLP/HTTP backend (Sentry, Slack's alert processor, a vendor): a real HTTP
// server on 127.0.0.1 that accepts protobuf export requests, decodes them and keeps them for assertions.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { decodeLogs, decodeMetrics, decodeTraces, type DecodedLogRecord, type DecodedMetric, type DecodedSpan } from './otlp-protobuf';

export interface ReceivedRequest {
  path: string;
  headers: http.IncomingHttpHeaders;
  signal: 'traces' | 'logs' | 'metrics';
  spans: DecodedSpan[];
  logs: DecodedLogRecord[];
  metrics: DecodedMetric[];
}

export interface FakeOtlpReceiver {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  requests: ReceivedRequest[];
  /** Requests this receiver could not handle (wrong method, content type or path): should stay empty. */
  rejected: string[];
  spans(): DecodedSpan[];
  logs(): DecodedLogRecord[];
  metrics(): DecodedMetric[];
  close(): Promise<void>;
}

function signalOf(path: string): ReceivedRequest['signal'] | undefined {
  if (path.endsWith('/v1/traces')) return 'traces';
  if (path.endsWith('/v1/logs')) return 'logs';
  if (path.endsWith('/v1/metrics')) return 'metrics';
  return undefined;
}

export async function startFakeOtlpReceiver(): Promise<FakeOtlpReceiver> {
  const requests: ReceivedRequest[] = [];
  const rejected: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = req.url ?? '';
      const signal = signalOf(path);
      if (req.method !== 'POST' || req.headers['content-type'] !== 'application/x-protobuf' || !signal) {
        rejected.push(`${req.method} ${path} (${req.headers['content-type']})`);
        res.writeHead(400).end();
        return;
      }
      try {
        const raw = Buffer.concat(chunks);
        const body = req.headers['content-encoding'] === 'gzip' ? zlib.gunzipSync(raw) : raw;
        requests.push({
          path,
          headers: req.headers,
          signal,
          spans: signal === 'traces' ? decodeTraces(body) : [],
          logs: signal === 'logs' ? decodeLogs(body) : [],
          metrics: signal === 'metrics' ? decodeMetrics(body) : [],
        });
        // An empty Export*ServiceResponse: full success.
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      } catch (error) {
        rejected.push(`${path}: ${error instanceof Error ? error.message : String(error)}`);
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    rejected,
    spans: () => requests.flatMap((r) => r.spans),
    logs: () => requests.flatMap((r) => r.logs),
    metrics: () => requests.flatMap((r) => r.metrics),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
