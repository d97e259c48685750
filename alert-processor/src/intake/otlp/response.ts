import type http from 'node:http';
import fs from 'node:fs';
import protobuf from 'protobufjs';
import { otlpProtoFile, type OtlpEncoding } from './decode';

/**
 * OTLP/HTTP answers as the specification has them (opentelemetry-proto, "OTLP/HTTP Response"): a success is an
 * Export*ServiceResponse — empty, or with `partial_success` when some records were rejected — and every 4xx/5xx
 * carries a google.rpc.Status; both in the request's encoding (protobuf for protobuf, JSON for JSON).
 */

export type OtlpSignal = 'logs' | 'traces' | 'metrics';

/** gRPC status codes the HTTP statuses map to (google.rpc.Code). */
const RPC_CODE: Record<number, number> = {
  400: 3, // INVALID_ARGUMENT
  401: 16, // UNAUTHENTICATED
  404: 5, // NOT_FOUND
  405: 12, // UNIMPLEMENTED
  413: 3, // INVALID_ARGUMENT: the same request will not fit the next time either
  415: 3,
  429: 8, // RESOURCE_EXHAUSTED
  500: 13, // INTERNAL
  503: 14, // UNAVAILABLE
};

let root: protobuf.Root | undefined;
function type(
  name: 'RpcStatus' | 'ExportLogsServiceResponse' | 'ExportTraceServiceResponse' | 'ExportMetricsServiceResponse',
): protobuf.Type {
  root ??= protobuf.parse(fs.readFileSync(otlpProtoFile, 'utf8'), { keepCase: true }).root;
  return root.lookupType(`opentelemetry.proto.${name}`);
}

const CONTENT_TYPE: Record<OtlpEncoding, string> = { protobuf: 'application/x-protobuf', json: 'application/json' };

function send(res: http.ServerResponse, status: number, encoding: OtlpEncoding, body: Buffer, headers: http.OutgoingHttpHeaders): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': CONTENT_TYPE[encoding], 'content-length': body.length, ...headers }).end(body);
}

/** A google.rpc.Status answer: `{"code":16,"message":"…"}` in JSON, the same message in protobuf. */
export function sendStatus(
  res: http.ServerResponse,
  status: number,
  encoding: OtlpEncoding,
  message: string,
  headers: http.OutgoingHttpHeaders = {},
): void {
  const code = RPC_CODE[status] ?? (status >= 500 ? 13 : 3);
  const body =
    encoding === 'json'
      ? Buffer.from(JSON.stringify({ code, message }))
      : Buffer.from(type('RpcStatus').encode({ code, message }).finish());
  send(res, status, encoding, body, headers);
}

const COUNT_FIELD = { logs: 'rejected_log_records', traces: 'rejected_spans', metrics: 'rejected_data_points' } as const;
const COUNT_FIELD_JSON = { logs: 'rejectedLogRecords', traces: 'rejectedSpans', metrics: 'rejectedDataPoints' } as const;
const RESPONSE = {
  logs: 'ExportLogsServiceResponse',
  traces: 'ExportTraceServiceResponse',
  metrics: 'ExportMetricsServiceResponse',
} as const;

/** 200: full success (an empty response) or, with `rejected` > 0, a partial success naming why. */
export function sendExportResponse(
  res: http.ServerResponse,
  signal: OtlpSignal,
  encoding: OtlpEncoding,
  rejected = 0,
  errorMessage = '',
): void {
  const countField = COUNT_FIELD[signal];
  const partial = rejected > 0 ? { [countField]: rejected, error_message: errorMessage } : undefined;
  let body: Buffer;
  if (encoding === 'json') {
    const camel = COUNT_FIELD_JSON[signal];
    // int64 is a decimal string in the protobuf JSON mapping.
    body = Buffer.from(JSON.stringify(partial ? { partialSuccess: { [camel]: String(rejected), errorMessage } } : {}));
  } else {
    const name = RESPONSE[signal];
    body = Buffer.from(
      type(name)
        .encode(partial ? { partial_success: partial } : {})
        .finish(),
    );
  }
  send(res, 200, encoding, body, {});
}

/** Decodes a google.rpc.Status body (for tests and clients of this service). */
export function decodeStatus(body: Uint8Array, encoding: OtlpEncoding): { code: number; message: string } {
  if (encoding === 'json') return JSON.parse(Buffer.from(body).toString('utf8')) as { code: number; message: string };
  const decoded = type('RpcStatus').toObject(type('RpcStatus').decode(body), { defaults: true }) as { code: number; message: string };
  return { code: decoded.code, message: decoded.message };
}

/** Decodes an Export*ServiceResponse body: the rejected count and message of a partial success (0 and '' for none). */
export function decodeExportResponse(
  body: Uint8Array,
  signal: OtlpSignal,
  encoding: OtlpEncoding,
): { rejected: number; errorMessage: string } {
  if (encoding === 'json') {
    const parsed = JSON.parse(Buffer.from(body).toString('utf8')) as {
      partialSuccess?: Record<string, string | undefined>;
    };
    const partial = parsed.partialSuccess;
    return { rejected: Number(partial?.[COUNT_FIELD_JSON[signal]] ?? 0), errorMessage: partial?.errorMessage ?? '' };
  }
  const name = RESPONSE[signal];
  const decoded = type(name).toObject(type(name).decode(body), { longs: Number, defaults: false }) as {
    partial_success?: Record<string, number | string | undefined>;
  };
  const partial = decoded.partial_success;
  return { rejected: Number(partial?.[COUNT_FIELD[signal]] ?? 0), errorMessage: String(partial?.error_message ?? '') };
}
