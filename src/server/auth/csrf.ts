import crypto from 'node:crypto';
import { serverConfig, type ServerConfig } from '../config';
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
 * The public host a trusted reverse proxy put in X-Forwarded-Host: like X-Forwarded-For, the N-th entry from the
 * right behind N proxies (entries further left are the client's claim). Without a trusted proxy the header is the
 * client's own and is ignored.
 */
function forwardedHost(headers: Headers, proxies: number): string | undefined {
  if (proxies === 0) return undefined;
  const chain = (headers.get('x-forwarded-host') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return chain[chain.length - proxies];
}

/**
 * Origin check: a browser sends Origin (or at least Referer) on state-changing requests; when it does, it must
 * name this host (Host, X-Forwarded-Host from a trusted proxy, or APP_ORIGIN). Non-browser clients send neither
 * and are covered by the token alone.
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
  for (const host of [headers.get('host'), forwardedHost(headers, config.trustedProxyCount), config.appOriginHost]) {
    if (host) allowed.add(host);
  }
  return allowed.has(sourceHost);
}
