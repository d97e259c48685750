import http from 'node:http';
import type { Logger } from '@otel';
import { bearerChecker } from './bearer-token';
import { decodeLogs, decodeTraces, encodingOf, OtlpDecodeError, type OtlpEncoding, type OtlpLogRecord, type OtlpSpan } from './otlp/decode';
import { sendExportResponse, sendStatus } from './otlp/response';
import { sendError, sendJson } from './http-reply';
import { BodyError, readBody } from './read-body';
import { isSilencesPath, type SilencesApi } from '../silence/silences-api';
import { ThrottledLog } from './throttled-log';

/** Records the intake did not take (a partial success): how many, and why. */
export interface Rejected {
  count: number;
  reason: string;
}

/** Where decoded records go. Called synchronously, before the request is answered. */
export interface OtlpIntake {
  /** Resolves once what the records raised is stored (the outbox, the rules' state): only then is the request answered. */
  logs(records: OtlpLogRecord[]): Promise<Rejected | undefined>;
  spans(spans: OtlpSpan[]): Promise<Rejected | undefined>;
}

export interface AlertServerOptions {
  maxBodyBytes: number;
  intake: OtlpIntake;
  logger: Logger;
  /** The shared secret the collector sends as `Authorization: Bearer …`; undefined: the intake takes anyone's records. */
  intakeToken: string | undefined;
  /** /api/silences (silences-api.ts); without it those paths are 404 like any unknown path. */
  silencesApi?: SilencesApi;
  /** Refused requests are logged at most once per this interval and kind, with counts (default 60 s). */
  warningIntervalMs?: number;
}

export interface AlertServer {
  server: http.Server;
  /** Logs the refusals counted and not yet reported (at a stop). */
  flushWarnings(): void;
}

const SIGNAL_PATHS = { '/v1/logs': 'logs', '/v1/traces': 'traces' } as const;

/**
 * The processor's OTLP/HTTP endpoint: POST /v1/logs and /v1/traces (protobuf or JSON, gzip or not), GET /healthz,
 * and /api/silences when given. OTLP requests are answered as the OTLP/HTTP specification says: 200 with an
 * export response (a partial success when the intake rejected records), and every refusal a google.rpc.Status in
 * the request's encoding — without the intake's bearer token 401, malformed or of the wrong shape 400, too large
 * 413, an unsupported content type or encoding 415. Refusals are logged throttled (ThrottledLog), so a flood of
 * bad requests cannot flood the log. Other paths answer `{"error":{"code","message"}}`.
 */
export function createAlertServer(options: AlertServerOptions): AlertServer {
  const { maxBodyBytes, intake, logger, silencesApi } = options;
  const checkToken = options.intakeToken === undefined ? undefined : bearerChecker(options.intakeToken);
  const refusals = new ThrottledLog(logger, options.warningIntervalMs);

  const refuse = (
    res: http.ServerResponse,
    path: string,
    status: number,
    encoding: OtlpEncoding,
    kind: string,
    reason: string,
    headers: http.OutgoingHttpHeaders = {},
  ) => {
    refusals.warn(
      kind,
      { 'event.name': 'alerts.intake_refused', 'url.path': path, 'http.response.status_code': status, reason: reason.slice(0, 300) },
      kind === 'unauthenticated' ? 'OTLP request refused: no valid intake token' : 'OTLP request refused',
    );
    sendStatus(res, status, encoding, reason.slice(0, 300), headers);
  };

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
    // The answer's encoding follows the request's; one it does not speak is answered in JSON.
    const encoding = encodingOf(req.headers['content-type']);
    const answerIn = encoding ?? 'json';
    if (req.method !== 'POST') return sendStatus(res, 405, answerIn, 'use POST', { allow: 'POST' });
    // Before a byte of the body is read: a stranger's request costs nothing but this answer.
    if (checkToken) {
      const verdict = checkToken(req);
      if (verdict !== 'ok') {
        return refuse(
          res,
          path,
          401,
          answerIn,
          'unauthenticated',
          verdict === 'missing' ? 'send Authorization: Bearer <ALERTS_INTAKE_TOKEN>' : 'the bearer token is not the intake token',
          { 'www-authenticate': 'Bearer realm="alert-processor"', connection: 'close' },
        );
      }
    }
    if (!encoding) {
      return refuse(res, path, 415, 'json', 'unsupported_media_type', 'content-type must be application/x-protobuf or application/json', {
        connection: 'close',
      });
    }

    let body: Buffer;
    try {
      body = await readBody(req, maxBodyBytes);
    } catch (error) {
      if (!(error instanceof BodyError)) throw error;
      // The rest of an oversized body is not read: answer and close the connection.
      if (error.status === 413) req.pause();
      return refuse(res, path, error.status, encoding, error.code, error.message, error.status === 413 ? { connection: 'close' } : {});
    }

    let take: () => Promise<Rejected | undefined>;
    try {
      if (signal === 'logs') {
        const records = decodeLogs(body, encoding);
        take = () => intake.logs(records);
      } else {
        const spans = decodeTraces(body, encoding);
        take = () => intake.spans(spans);
      }
    } catch (error) {
      // The decoder throws OtlpDecodeError for whatever comes from the input: undecodable bytes, JSON of the
      // wrong shape (`{"resourceLogs":"nope"}`, `[]`), nesting too deep to walk. Anything else is a bug: a 500.
      if (!(error instanceof OtlpDecodeError)) throw error;
      return refuse(res, path, 400, encoding, 'malformed_otlp', error.message);
    }
    let rejected: Rejected | undefined;
    try {
      rejected = await take();
    } catch (error) {
      // The store did not take what the records raised (a disk full, a file gone): 503, which the collector
      // retries, rather than a 200 for alerts that may be lost.
      logger.error({ err: error, 'url.path': path }, 'the alerts store could not record what an OTLP request raised: answered 503');
      return sendStatus(res, 503, encoding, 'the alerts store is not available: send the records again later');
    }
    sendExportResponse(res, signal, encoding, rejected?.count ?? 0, rejected?.reason ?? '');
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      logger.error({ err: error, 'url.path': req.url }, 'unexpected error handling an OTLP request');
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      if (path in SIGNAL_PATHS)
        sendStatus(res, 500, encodingOf(req.headers['content-type']) ?? 'json', 'the request could not be processed');
      else sendError(res, 500, 'internal', 'the request could not be processed');
    });
  });
  // Longer than the collector's idle connection timeout (90 s): the client closes idle connections, not us, so
  // it never sends on a connection we are closing.
  server.keepAliveTimeout = 95_000;
  server.on('clientError', (error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy(error);
  });
  return { server, flushWarnings: () => refusals.close() };
}
