import type { NextRequest } from 'next/server';
import { methodNotAllowed, noSuchEndpoint } from './errors';
import { answered } from './route';

type RouteHandler = (req: NextRequest, context: { params: Promise<Record<string, string>> }) => Promise<Response>;
type Writable = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
type Implemented = Partial<Record<Writable, unknown>>;

/** What a route file must export besides its own methods: the rest answer 405, OPTIONS lists what is allowed. */
type OtherMethods<T extends Implemented> = Record<Exclude<Writable, keyof T> | 'OPTIONS', RouteHandler> &
  ('GET' extends keyof T ? unknown : { HEAD: RouteHandler });

/**
 * The methods a route does not implement, as JSON 405s with `Allow`, and OPTIONS as 204 with `Allow`, all with
 * `x-request-id` and an access line (Next's own 405 is an empty body without `Allow`). Each route file ends with
 * `export const { …the others } = otherMethods({ GET, POST })`; HEAD of a GET route stays Next's (GET without body).
 */
export function otherMethods<T extends Implemented>(implemented: T): OtherMethods<T> {
  const names = Object.keys(implemented) as Writable[];
  const allow = [...names, ...(names.includes('GET') ? ['HEAD'] : []), 'OPTIONS'].sort().join(', ');
  const refuse = answered(async (req) => {
    throw methodNotAllowed(req.method, allow);
  });
  const options = answered(async () => new Response(null, { status: 204, headers: { Allow: allow } }));
  const others: Record<string, RouteHandler> = { OPTIONS: options };
  for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const) {
    if (method === 'HEAD' ? !names.includes('GET') : !names.includes(method)) others[method] = refuse;
  }
  return others as OtherMethods<T>;
}

/** Every method of a path that no route serves: JSON 404 (src/app/api/[...path]/route.ts). */
export function noEndpoint(): Record<'GET' | 'HEAD' | 'OPTIONS' | Writable, RouteHandler> {
  const notFound = answered(async (req, _params, telemetry) => {
    // One route for every unknown path: the duration metric's http.route must not take any value a client sends.
    telemetry.setRoute('/api/[...path]');
    throw noSuchEndpoint(req.nextUrl.pathname);
  });
  return { GET: notFound, HEAD: notFound, OPTIONS: notFound, POST: notFound, PUT: notFound, PATCH: notFound, DELETE: notFound };
}
