import { NextResponse, type NextRequest } from 'next/server';
import { CORRELATION, currentRequestId, newRequestId } from '@otel';
import { isDecodablePath, malformedApiPath } from './server/http/malformed-path';
import { applyTransportSecurity, newNonce, pageContentSecurityPolicy } from './server/http/security-headers';

/**
 * Next's proxy (the former middleware), for pages only: a fresh nonce and the Content-Security-Policy naming it.
 * The policy goes on the request too, where Next's renderer reads the nonce and puts it on every script it
 * writes. The API sets its own headers in route(). Pages get `x-request-id` here too: the request's trace id (a
 * random one when there is no trace), which the page access line (otel/http/page-access-log.ts) reads back from the response.
 */
export function proxy(request: NextRequest) {
  if (request.nextUrl.pathname.startsWith('/api/')) {
    // Only API paths with a % reach here (the matcher): the valid ones go on to their route untouched.
    return isDecodablePath(request.nextUrl.pathname) ? NextResponse.next() : malformedApiPath(request);
  }
  const policy = pageContentSecurityPolicy(newNonce());
  const requestHeaders = new Headers(request.headers);
  requestHeaders.set('Content-Security-Policy', policy);
  const response = NextResponse.next({ request: { headers: requestHeaders } });
  response.headers.set('Content-Security-Policy', policy);
  applyTransportSecurity(response.headers);
  response.headers.set(CORRELATION.header, currentRequestId() ?? newRequestId());
  return response;
}

export const config = {
  matcher: [
    // Pages: everything but the API, Next's static files and the icon.
    '/((?!api/|_next/static/|_next/image|icon.svg|favicon.ico).*)',
    // API paths with percent-encoding, to answer the malformed ones (`/api/%ZZ`) with a JSON 400.
    '/api/(.*%.*)',
  ],
};
