import http from 'node:http';
import type { Logger } from '@otel';
import { decodeLogs, decodeTraces, encodingOf, OtlpDecodeError, type OtlpEncoding, type OtlpLogRecord, type OtlpSpan } from './otlp/decode';
import { sendError, sendJson } from './http-reply';
import { BodyError, readBody } from './read-body';
import { isSilencesPath, type SilencesApi } from './silences-api';

/** Where decoded records go. Called synchronously, before the request is answered. */
export interface OtlpIntake {
  logs(records: OtlpLogRecord[]): void;
  spans(spans: OtlpSpan[]): void;
}

export interface AlertServerOptions {
  maxBodyBytes: number;
  intake: OtlpIntake;
  logger: Logger;
  /** /api/silences (silences-api.ts); without it those paths are 404 like any unknown path. */
  silencesApi?: SilencesApi;
}

const SIGNAL_PATHS = { '/v1/logs': 'logs', '/v1/traces': 'traces' } as const;

/** An empty Export*ServiceResponse (full success) in the request's encoding. */
function sendSuccess(res: http.ServerResponse, encoding: OtlpEncoding): void {
  if (encoding === 'json') sendJson(res, 200, {});
  else res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': 0 }).end();
}

/**
 * The processor's OTLP/HTTP endpoint: POST /v1/logs and /v1/traces (protobuf or JSON, gzip or not),
 * GET /healthz, and /api/silences when given. Bad input gets a 4xx with `{"error":{"code","message"}}` —
 * malformed 400, too large 413, unsupported content type or encoding 415 — and never takes the process down.
 */
export function createAlertServer(options: AlertServerOptions): http.Server {
  const { maxBodyBytes, intake, logger, silencesApi } = options;

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path === '/healthz') {
      if (req.method !== 'GET' && req.method !== 'HEAD')
        return sendError(res, 405, 'method_not_allowed', 'use GET', { allow: 'GET, HEAD' });
      return sendJson(res, 200, { status: 'ok' });
    }
    if (silencesApi && isSilencesPath(path)) return silencesApi(req, res, path);
    const signal = SIGNAL_PATHS[path as keyof typeof SIGNAL_PATHS];
    if (!signal) return sendError(res, 404, 'not_found', `no route for ${req.method} ${path.slice(0, 100)}`);
    if (req.method !== 'POST') return sendError(res, 405, 'method_not_allowed', 'use POST', { allow: 'POST' });
    const encoding = encodingOf(req.headers['content-type']);
    if (!encoding) {
      return sendError(res, 415, 'unsupported_media_type', 'content-type must be application/x-protobuf or application/json');
    }

    let body: Buffer;
    try {
      body = await readBody(req, maxBodyBytes);
    } catch (error) {
      if (!(error instanceof BodyError)) throw error;
      logger.warn({ 'url.path': path, 'http.response.status_code': error.status, reason: error.message }, 'OTLP request refused');
      // The rest of an oversized body is not read: answer and close the connection.
      if (error.status === 413) req.pause();
      return sendError(res, error.status, error.code, error.message, error.status === 413 ? { connection: 'close' } : {});
    }

    let records: { logs: OtlpLogRecord[] } | { spans: OtlpSpan[] };
    try {
      records = signal === 'logs' ? { logs: decodeLogs(body, encoding) } : { spans: decodeTraces(body, encoding) };
    } catch (error) {
      // Whatever the decoder throws comes from the input: undecodable bytes (OtlpDecodeError), or JSON of the
      // wrong shape (`"resourceLogs": 5` → TypeError), or nesting too deep to walk (RangeError).
      const reason =
        error instanceof OtlpDecodeError ? error.message : `malformed OTLP ${signal} ${encoding} body: ${(error as Error).message}`;
      logger.warn({ 'url.path': path, 'http.response.status_code': 400, reason }, 'malformed OTLP request');
      return sendError(res, 400, 'malformed_otlp', reason.slice(0, 300));
    }
    if ('logs' in records) intake.logs(records.logs);
    else intake.spans(records.spans);
    sendSuccess(res, encoding);
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      logger.error({ err: error, 'url.path': req.url }, 'unexpected error handling an OTLP request');
      sendError(res, 500, 'internal', 'the request could not be processed');
    });
  });
  // Longer than the collector's idle connection timeout (90 s): the client closes idle connections, not us, so
  // it never sends on a connection we are closing.
  server.keepAliveTimeout = 95_000;
  server.on('clientError', (error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy(error);
  });
  return server;
}
