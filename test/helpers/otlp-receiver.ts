import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { decodeLogs, decodeTraces, encodingOf, type OtlpLogRecord, type OtlpSpan } from '../../otel/otlp/decode';

/** A real OTLP/HTTP endpoint on 127.0.0.1 that decodes what the app's exporters send and keeps it for assertions. */
export interface OtlpReceiver {
  url: string;
  spans: OtlpSpan[];
  logs: OtlpLogRecord[];
  /** Raw request bodies (decompressed), to search for secrets byte for byte. */
  rawBodies: Buffer[];
  requests: { path: string; contentType: string; headers: http.IncomingHttpHeaders }[];
  waitFor<T>(probe: () => T | undefined | false, timeoutMs?: number, what?: string): Promise<T>;
  close(): Promise<void>;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: OtlpSpan[] = [];
  const logs: OtlpLogRecord[] = [];
  const rawBodies: Buffer[] = [];
  const requests: OtlpReceiver['requests'] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = zlib.gunzipSync(body);
      const contentType = req.headers['content-type'] ?? '';
      const encoding = encodingOf(contentType) ?? 'protobuf';
      requests.push({ path: req.url ?? '', contentType, headers: req.headers });
      rawBodies.push(body);
      try {
        if (req.url === '/v1/traces') spans.push(...decodeTraces(body, encoding));
        else if (req.url === '/v1/logs') logs.push(...decodeLogs(body, encoding));
        res.writeHead(200, { 'content-type': contentType || 'application/x-protobuf' });
        res.end(encoding === 'json' ? '{}' : undefined);
      } catch (error) {
        res.writeHead(400);
        res.end(String(error));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    logs,
    rawBodies,
    requests,
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
