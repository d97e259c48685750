import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { decodeLogs, decodeMetrics, decodeTraces, encodingOf, type OtlpLogRecord, type OtlpMetric, type OtlpSpan } from '@alerts';

export type Signal = 'traces' | 'logs' | 'metrics';

export interface ReceivedRequest {
  /** The request path, e.g. /v1/logs or a vendor's /api/42/integration/otlp/v1/logs. */
  path: string;
  signal: Signal;
  contentType: string;
  headers: http.IncomingHttpHeaders;
}

/**
 * A real OTLP/HTTP endpoint on 127.0.0.1 — standing in for a collector, Sentry's OTLP ingest or a vendor — that
 * decodes what it receives (protobuf or JSON, gzip or not) with the layer's own decoder and keeps it.
 */
export interface OtlpReceiver {
  url: string;
  spans: OtlpSpan[];
  logs: OtlpLogRecord[];
  metrics: OtlpMetric[];
  requests: ReceivedRequest[];
  /** Raw request bodies (decompressed), to search for secrets byte for byte. */
  rawBodies: Buffer[];
  /** Requests it could not take (unknown path or content type, undecodable body): should stay empty. */
  rejected: string[];
  waitFor<T>(probe: () => T | undefined | false, timeoutMs?: number, what?: string): Promise<T>;
  close(): Promise<void>;
}

function signalOf(path: string): Signal | undefined {
  const bare = path.split('?')[0] ?? '';
  if (bare.endsWith('/v1/traces')) return 'traces';
  if (bare.endsWith('/v1/logs')) return 'logs';
  if (bare.endsWith('/v1/metrics')) return 'metrics';
  return undefined;
}

/** `port`: listen there (a receiver restarted where the app already sends); a free port by default. */
export async function startOtlpReceiver(port = 0): Promise<OtlpReceiver> {
  const receiver: Omit<OtlpReceiver, 'url' | 'waitFor' | 'close'> = {
    spans: [],
    logs: [],
    metrics: [],
    requests: [],
    rawBodies: [],
    rejected: [],
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '';
      const contentType = req.headers['content-type'] ?? '';
      const signal = signalOf(path);
      const encoding = encodingOf(contentType);
      if (req.method !== 'POST' || !signal || !encoding) {
        receiver.rejected.push(`${req.method} ${path} (${contentType})`);
        res.writeHead(400).end();
        return;
      }
      try {
        const raw = Buffer.concat(chunks);
        const body = req.headers['content-encoding'] === 'gzip' ? zlib.gunzipSync(raw) : raw;
        if (signal === 'traces') receiver.spans.push(...decodeTraces(body, encoding));
        else if (signal === 'logs') receiver.logs.push(...decodeLogs(body, encoding));
        else receiver.metrics.push(...decodeMetrics(body, encoding));
        receiver.requests.push({ path, signal, contentType, headers: req.headers });
        receiver.rawBodies.push(body);
        // An empty Export*ServiceResponse: full success.
        res.writeHead(200, { 'content-type': contentType }).end(encoding === 'json' ? '{}' : undefined);
      } catch (error) {
        receiver.rejected.push(`${path}: ${error instanceof Error ? error.message : String(error)}`);
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const listening = (server.address() as AddressInfo).port;
  return {
    ...receiver,
    url: `http://127.0.0.1:${listening}`,
    async waitFor(probe, timeoutMs = 15_000, what = 'telemetry') {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = probe();
        if (value) return value;
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
