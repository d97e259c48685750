import diagnosticsChannel from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { CORRELATION } from '../correlation';
import { currentRequestId } from '../request-scope';
import { ATTR_EVENT_NAME, ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_URL_PATH, EVENT_HTTP_ACCESS } from '../semconv';
import { normalizeMethod } from './server-span-processor';

interface ServerMessage {
  request: IncomingMessage;
  response: ServerResponse;
}

/** route() writes the API's access lines; Next's build assets are not page requests. */
const NOT_PAGES = [/^\/api\//, /^\/_next\/(static|image)\//, /^\/(icon\.svg|favicon\.ico|robots\.txt)$/];

export function isPageRequest(path: string): boolean {
  return !NOT_PAGES.some((pattern) => pattern.test(path));
}

const installedKey = Symbol.for('drop.pageAccessLog');
type GlobalWithFlag = typeof globalThis & { [installedKey]?: boolean };

/**
 * One `http.access` line per page request (the API's come from route()), from Node's own HTTP diagnostics channels:
 * Next renders pages outside any code of ours, so the start and finish of the response are the only places that see
 * the whole request. The trace id is the page's `x-request-id` (set by src/proxy.ts inside Next's request span).
 */
export function installPageAccessLog(logger: Logger): void {
  const g = globalThis as GlobalWithFlag;
  if (g[installedKey]) return;
  g[installedKey] = true;
  const started = new WeakMap<IncomingMessage, number>();
  diagnosticsChannel.subscribe('http.server.request.start', (message) => {
    started.set((message as ServerMessage).request, performance.now());
  });
  diagnosticsChannel.subscribe('http.server.response.finish', (message) => {
    const { request, response } = message as ServerMessage;
    const path = (request.url ?? '/').split('?')[0]!;
    const start = started.get(request);
    if (start === undefined || !isPageRequest(path)) return;
    const status = response.statusCode;
    const fields: Record<string, unknown> = {
      [ATTR_EVENT_NAME]: EVENT_HTTP_ACCESS,
      [ATTR_HTTP_REQUEST_METHOD]: normalizeMethod(request.method),
      [ATTR_URL_PATH]: path,
      [ATTR_HTTP_RESPONSE_STATUS_CODE]: status,
      duration_ms: Math.round((performance.now() - start) * 10) / 10,
    };
    const requestId = response.getHeader(CORRELATION.header);
    if (typeof requestId === 'string' && currentRequestId() !== requestId) fields[CORRELATION.logKey] = requestId;
    const line = `${request.method} ${path} ${status}`;
    if (status >= 500) logger.error(fields, line);
    else logger.info(fields, line);
  });
}
