import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { decodeLogs, decodeTraces, encodingOf, type OtlpLogRecord, type OtlpSpan } from '@alerts';

/**
 * A real HTTP server on 127.0.0.1 standing in for Sentry's ingest: it takes the envelopes the Node and browser
 * SDKs POST to `/api/<project>/envelope/` (gzip, deflate or brotli encoded, or not), splits them into items as
 * Sentry does, and also takes OTLP traces and logs on Sentry's OTLP paths (`/api/<project>/integration/otlp/v1/traces/`, `…/logs/`).
 * Browsers reach it cross-origin, so it answers CORS like Sentry does.
 */

export interface EnvelopeItem {
  header: { type: string; length?: number; [key: string]: unknown };
  /** The parsed JSON payload (events, transactions, sessions, spans, client reports), or the raw bytes. */
  payload: unknown;
}

export interface Envelope {
  path: string;
  header: Record<string, unknown>;
  items: EnvelopeItem[];
}

/** The parts of a Sentry error event the tests read. */
export interface SentryEvent {
  event_id: string;
  environment?: string;
  release?: string;
  platform?: string;
  sdk?: { name?: string };
  user?: Record<string, unknown>;
  tags?: Record<string, string>;
  transaction?: string;
  request?: Record<string, unknown>;
  contexts?: { trace?: { trace_id?: string; span_id?: string } } & Record<string, unknown>;
  exception?: { values?: { type?: string; value?: string; mechanism?: { type?: string; handled?: boolean } }[] };
  [key: string]: unknown;
}

export interface SentryIngest {
  /** A DSN pointing here: http://<publicKey>@127.0.0.1:<port>/<projectId>. */
  dsn: string;
  publicKey: string;
  url: string;
  envelopes: Envelope[];
  /** Every `event` item (errors), in arrival order. */
  events(): SentryEvent[];
  /** Items of the given type (`transaction`, `span`, `session`, `client_report`, …). */
  itemsOfType(type: string): EnvelopeItem[];
  /** Spans received over OTLP on Sentry's OTLP traces path, with the headers of each request. */
  otlpSpans: OtlpSpan[];
  /** Log records received over OTLP on Sentry's OTLP logs path. */
  otlpLogs: OtlpLogRecord[];
  otlpRequests: { path: string; headers: http.IncomingHttpHeaders }[];
  /** Every request body, decompressed, to search for secrets byte for byte. */
  rawBodies: Buffer[];
  /** Requests it could not take: should stay empty. */
  rejected: string[];
  waitFor<T>(probe: () => T | undefined | false, timeoutMs?: number, what?: string): Promise<T>;
  close(): Promise<void>;
}

function decompress(body: Buffer, encoding: string | undefined): Buffer {
  if (encoding === 'gzip') return zlib.gunzipSync(body);
  if (encoding === 'deflate') return zlib.inflateSync(body);
  if (encoding === 'br') return zlib.brotliDecompressSync(body);
  return body;
}

/** Sentry's envelope format: a header line, then per item a header line and a payload (`length` bytes, or a line). */
export function parseEnvelope(path: string, body: Buffer): Envelope {
  let offset = 0;
  const readLine = (): Buffer => {
    const end = body.indexOf(0x0a, offset);
    const line = body.subarray(offset, end < 0 ? body.length : end);
    offset = end < 0 ? body.length : end + 1;
    return line;
  };
  const header = JSON.parse(readLine().toString('utf8')) as Record<string, unknown>;
  const items: EnvelopeItem[] = [];
  while (offset < body.length) {
    const headerLine = readLine();
    if (headerLine.length === 0) continue;
    const itemHeader = JSON.parse(headerLine.toString('utf8')) as EnvelopeItem['header'];
    let raw: Buffer;
    if (typeof itemHeader.length === 'number') {
      raw = body.subarray(offset, offset + itemHeader.length);
      offset += itemHeader.length;
      if (body[offset] === 0x0a) offset += 1;
    } else {
      raw = readLine();
    }
    let payload: unknown = raw;
    try {
      payload = JSON.parse(raw.toString('utf8'));
    } catch {
      // Attachments are binary: kept as bytes.
    }
    items.push({ header: itemHeader, payload });
  }
  return { path, header, items };
}

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'POST, OPTIONS',
  'access-control-allow-headers': 'content-type, x-sentry-auth',
  'access-control-expose-headers': 'x-sentry-rate-limits, retry-after',
};

export async function startSentryIngest(projectId = '1'): Promise<SentryIngest> {
  const publicKey = 'e2e0123456789abcdef0123456789abc';
  const envelopes: Envelope[] = [];
  const otlpSpans: OtlpSpan[] = [];
  const otlpLogs: OtlpLogRecord[] = [];
  const otlpRequests: { path: string; headers: http.IncomingHttpHeaders }[] = [];
  const rawBodies: Buffer[] = [];
  const rejected: string[] = [];

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '';
      const bare = path.split('?')[0] ?? '';
      if (req.method === 'OPTIONS') {
        res.writeHead(204, CORS).end();
        return;
      }
      try {
        const body = decompress(Buffer.concat(chunks), req.headers['content-encoding']);
        if (req.method === 'POST' && bare === `/api/${projectId}/envelope/`) {
          envelopes.push(parseEnvelope(path, body));
          rawBodies.push(body);
          res.writeHead(200, { ...CORS, 'content-type': 'application/json' }).end('{}');
          return;
        }
        const encoding = encodingOf(req.headers['content-type'] ?? '');
        if (req.method === 'POST' && bare === `/api/${projectId}/integration/otlp/v1/traces/` && encoding) {
          otlpSpans.push(...decodeTraces(body, encoding));
          otlpRequests.push({ path, headers: req.headers });
          rawBodies.push(body);
          res.writeHead(200, { 'content-type': req.headers['content-type'] ?? 'application/x-protobuf' }).end();
          return;
        }
        if (req.method === 'POST' && bare === `/api/${projectId}/integration/otlp/v1/logs/` && encoding) {
          otlpLogs.push(...decodeLogs(body, encoding));
          otlpRequests.push({ path, headers: req.headers });
          rawBodies.push(body);
          res.writeHead(200, { 'content-type': req.headers['content-type'] ?? 'application/x-protobuf' }).end();
          return;
        }
        rejected.push(`${req.method} ${path}`);
        res.writeHead(404, CORS).end();
      } catch (error) {
        rejected.push(`${req.method} ${path}: ${error instanceof Error ? error.message : String(error)}`);
        res.writeHead(400, CORS).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const itemsOfType = (type: string) => envelopes.flatMap((e) => e.items.filter((i) => i.header.type === type));
  return {
    dsn: `http://${publicKey}@127.0.0.1:${port}/${projectId}`,
    publicKey,
    url: `http://127.0.0.1:${port}`,
    envelopes,
    events: () => itemsOfType('event').map((i) => i.payload as SentryEvent),
    itemsOfType,
    otlpSpans,
    otlpLogs,
    otlpRequests,
    rawBodies,
    rejected,
    async waitFor(probe, timeoutMs = 15_000, what = 'Sentry envelopes') {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = probe();
        if (value) return value;
        if (Date.now() > deadline) {
          const seen = envelopes.map((e) => e.items.map((i) => i.header.type).join('+')).join(', ') || 'none';
          throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (envelopes so far: ${seen})`);
        }
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
