import type { NextRequest, NextResponse } from 'next/server';
import { CORRELATION, beginRequest, routePattern, type RequestTelemetry, isShuttingDown } from '@otel';
import { confirmDatabaseBack, getDatabase } from '../db';
import { isDatabaseUnavailable } from '../db/errors';
import { noteDatabaseUnavailable } from '../db/outage';
import type { DatabaseHandle } from '../db/connect';
import type { Actor, RequestContext } from '../domain/context';
import { DomainError } from '../domain/errors';
import { CSRF_COOKIE, CSRF_HEADER, isSameOrigin, isValidCsrfPair } from '../auth/csrf';
import { HttpError, csrfFailed, forbidden, fromDomainError, fromServerFault, unauthenticated } from './errors';
import { ValidationError, requestContext } from './request';
import { errorResponse } from './respond';
import { applyApiSecurityHeaders } from './security-headers';
import { authenticate } from './session-cookie';

type Access = 'public' | 'user' | 'admin';

interface RouteOptions<A extends Access, K extends string> {
  access: A;
  /** Names of the dynamic segments of the route's path, e.g. ['id'] for /api/transfers/[id]/confirm. */
  params?: readonly K[];
  /** CSRF applies to every state-changing method unless a route opts out (none does today). */
  csrf?: boolean;
}

interface HandlerArgs<P, A extends Access> {
  req: NextRequest;
  params: P;
  db: DatabaseHandle;
  ctx: RequestContext;
  actor: A extends 'public' ? Actor | undefined : Actor;
  /** Names the user of a request that signs someone in (login, register), for the access log and span. */
  identify(userId: string): void;
}

type Handler<P, A extends Access> = (args: HandlerArgs<P, A>) => Promise<NextResponse | Response>;

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

type Answer = (
  req: NextRequest,
  params: Record<string, string>,
  telemetry: RequestTelemetry,
  identify: (userId: string) => void,
) => Promise<Response>;

/**
 * The part every `/api/*` answer shares, database or not (health, 404, 405 too): the request's telemetry (span
 * attributes, one access line, the duration metric), any error as `{ error: { code, message } }` with its 4xx
 * status or a 500 that reveals nothing, the API's security headers and `x-request-id`.
 */
export function answered(answer: Answer) {
  return async (req: NextRequest, context: { params: Promise<Record<string, string>> }): Promise<Response> => {
    const telemetry = beginRequest(req.method, req.nextUrl.pathname);
    let userId: string | undefined;
    let unexpected: unknown;
    let response: Response;
    try {
      const params = (await context.params) ?? {};
      telemetry.setRoute(routePattern(req.nextUrl.pathname, params));
      response = await answer(req, params, telemetry, (id) => {
        userId = id;
      });
    } catch (error) {
      response = toErrorResponse(error, telemetry.requestId);
      // The database away is logged once per outage (db.unavailable), not with every request that meets it.
      if (isDatabaseUnavailable(error)) noteDatabaseUnavailable(error);
      else if (response.status >= 500) unexpected = error;
    }
    applyApiSecurityHeaders(response.headers);
    response.headers.set(CORRELATION.header, telemetry.requestId);
    if (isShuttingDown()) response.headers.set('connection', 'close');
    telemetry.end({ status: response.status, userId, error: unexpected });
    return response;
  };
}

/**
 * Every API route goes through here: CSRF, authentication and role checks, then the handler, inside answered().
 */
export function route<A extends Access, K extends string = never>(options: RouteOptions<A, K>, handler: Handler<Record<K, string>, A>) {
  type P = Record<K, string>;
  const answer = answered(async (req, routeParams, _telemetry, identify) => {
    const params = routeParams as P;
    if (!SAFE_METHODS.has(req.method) && options.csrf !== false) {
      if (!isSameOrigin(req.headers) || !isValidCsrfPair(req.cookies.get(CSRF_COOKIE)?.value, req.headers.get(CSRF_HEADER))) {
        throw csrfFailed();
      }
    }
    const db = await getDatabase();
    const actor = await authenticate(db.db, req);
    if (actor) identify(actor.userId);
    if (options.access !== 'public' && !actor) throw unauthenticated();
    if (options.access === 'admin' && actor?.role !== 'admin') throw forbidden();
    const response = await handler({ req, params, db, ctx: requestContext(req), actor: actor as HandlerArgs<P, A>['actor'], identify });
    await confirmDatabaseBack(db);
    return response;
  });
  return answer as (req: NextRequest, context: { params: Promise<P> }) => Promise<Response>;
}

export function toErrorResponse(error: unknown, requestId?: string): Response {
  if (error instanceof ValidationError) {
    return errorResponse(400, 'invalid_request', error.message, { issues: error.issues });
  }
  const httpError = error instanceof DomainError ? fromDomainError(error) : error instanceof HttpError ? error : fromServerFault(error);
  if (httpError) return errorResponse(httpError.status, httpError.code, httpError.message, {}, httpError.headers);
  return errorResponse(500, 'internal', 'Something went wrong on our side', { traceId: requestId ?? null });
}
