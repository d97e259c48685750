import crypto from 'node:crypto';
import { serverConfig, type ServerConfig } from '../config';
import { trustedForwardedEntry } from '../http/forwarded';
import { deriveKey } from './secret';

export const CSRF_COOKIE = 'drop_csrf';
export const CSRF_HEADER = 'x-csrf-token';

function sign(nonce: string): string {
  return crypto.createHmac('sha256', deriveKey('csrf')).update(nonce).digest('base64url');
}

/** A signed double-submit token: the nonce cannot be planted by a sibling subdomain without the key. */
export function issueCsrfToken(): string {
  const nonce = crypto.randomBytes(24).toString('base64url');
  return `${nonce}.${sign(nonce)}`;
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && crypto.timingSafeEqual(left, right);
}

export function isValidCsrfPair(cookieValue: string | undefined, headerValue: string | null): boolean {
  if (!cookieValue || !headerValue || !safeEqual(cookieValue, headerValue)) return false;
  const [nonce, mac, extra] = headerValue.split('.');
  if (!nonce || !mac || extra !== undefined) return false;
  return safeEqual(mac, sign(nonce));
}

/**
 * Origin check: a browser sends Origin (or at least Referer) on state-changing requests; when it does, it must
 * name this host (Host, APP_ORIGIN, or the X-Forwarded-Host entry the outermost trusted proxy appended: without
 * a trusted proxy the header is the client's own and is ignored). Non-browser clients send neither and are covered
 * by the token alone.
 */
export function isSameOrigin(
  headers: Headers,
  config: Pick<ServerConfig, 'trustedProxyCount' | 'appOriginHost'> = serverConfig(),
): boolean {
  const source = headers.get('origin') ?? headers.get('referer');
  if (!source) return true;
  if (source === 'null') return false;
  let sourceHost: string;
  try {
    sourceHost = new URL(source).host;
  } catch {
    return false;
  }
  const allowed = new Set<string>();
  for (const host of [
    headers.get('host'),
    trustedForwardedEntry(headers.get('x-forwarded-host'), config.trustedProxyCount),
    config.appOriginHost,
  ]) {
    if (host) allowed.add(host);
  }
  return allowed.has(sourceHost);
}
