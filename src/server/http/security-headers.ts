import crypto from 'node:crypto';
import { browserTelemetryConfig } from '@otel';
import { serverConfig } from '../config';

/** One year; subdomains included, so no sibling host can be reached over plain http under our name. */
export const STRICT_TRANSPORT_SECURITY = 'max-age=31536000; includeSubDomains';

/** JSON is never a document: a response of the API that a browser renders anyway may load and run nothing. */
export const API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'";

/** A fresh nonce per page response: 128 random bits. */
export const newNonce = () => crypto.randomBytes(16).toString('base64');

/** The origin the browser's Sentry sends to (from the DSN read at run time, like GET /api/client-config). */
function sentryOrigin(): string | undefined {
  const dsn = browserTelemetryConfig().sentry?.dsn;
  if (!dsn) return undefined;
  try {
    return new URL(dsn).origin;
  } catch {
    return undefined;
  }
}

/**
 * The pages' policy. Scripts run only with this response's nonce (Next puts it on its own scripts and inline
 * payloads) or when loaded by such a script ('strict-dynamic': the chunks Next and the Sentry loader import).
 * Styles come from our own stylesheets, or style attributes; images from us or data: URLs (inline QR codes);
 * fetches go to us and, when configured, to the DSN's host.
 */
export function pageContentSecurityPolicy(nonce: string): string {
  const connect = ["'self'", sentryOrigin()].filter(Boolean).join(' ');
  // `next dev` only: React rebuilds server stacks with eval, and styles arrive as inline <style> for hot reload.
  const dev = process.env.NODE_ENV === 'development';
  const directives = [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ''}`,
    dev ? "style-src 'self' 'unsafe-inline'" : `style-src 'self' 'nonce-${nonce}'`,
    // React's style={…} props: an attribute can neither run script nor select and leak the page's content.
    "style-src-attr 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src ${connect}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ];
  // Over plain http (the demo) an upgrade would break every subresource; with secure cookies we are on https.
  if (serverConfig().secureCookies) directives.push('upgrade-insecure-requests');
  return directives.join('; ');
}

/** HSTS whenever cookies are secure: then the app is served over https (directly or behind a proxy). */
export function applyTransportSecurity(headers: Headers): void {
  if (serverConfig().secureCookies) headers.set('Strict-Transport-Security', STRICT_TRANSPORT_SECURITY);
}

/**
 * Every API response: its policy, HSTS, and `no-store` unless the route chose its own caching (only the public
 * client config does), so that no cache keeps a signed-in user's data or a Set-Cookie for the session.
 */
export function applyApiSecurityHeaders(headers: Headers): void {
  headers.set('Content-Security-Policy', API_CONTENT_SECURITY_POLICY);
  applyTransportSecurity(headers);
  if (!headers.has('Cache-Control')) headers.set('Cache-Control', 'no-store');
}
