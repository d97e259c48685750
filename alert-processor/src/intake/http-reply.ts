import type http from 'node:http';

/** JSON answers of the processor's HTTP server; every error has the shape `{"error":{"code","message"}}`. */
export function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers }).end(text);
}

export function sendError(
  res: http.ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: http.OutgoingHttpHeaders = {},
  details: Record<string, unknown> = {},
): void {
  sendJson(res, status, { error: { code, message, ...details } }, headers);
}
