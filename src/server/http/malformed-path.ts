import type { NextRequest } from 'next/server';
import { CORRELATION, beginRequest } from '@otel';
import { errorResponse } from './respond';
import { applyApiSecurityHeaders } from './security-headers';

/** Whether a path is valid percent-encoding (`/api/%ZZ` is not: Next cannot route it and would answer a bare 500). */
export function isDecodablePath(pathname: string): boolean {
  try {
    decodeURIComponent(pathname);
    return true;
  } catch {
    return false;
  }
}

/**
 * The answer to an `/api/*` path that is not valid percent-encoding, given by the proxy before Next's router
 * fails on it: a JSON 400 like every other API error, with `x-request-id` and the API's security headers, and
 * the request's access line, span attributes and duration metric (under the catch-all route, never the path).
 */
export function malformedApiPath(request: NextRequest): Response {
  const telemetry = beginRequest(request.method, request.nextUrl.pathname);
  telemetry.setRoute('/api/[...path]');
  const response = errorResponse(
    400,
    'invalid_path',
    'The address is not valid: a % must be followed by two hexadecimal digits (%2F, %20…). Encode the path and try again.',
  );
  applyApiSecurityHeaders(response.headers);
  response.headers.set(CORRELATION.header, telemetry.requestId);
  telemetry.end({ status: 400 });
  return response;
}
