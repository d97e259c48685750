import { serverConfig, type ServerConfig } from '../config';
import { trustedForwardedEntry } from './forwarded';

/**
 * The origin people reach this app at, for the links it hands out (a payment request's pay link): APP_ORIGIN when
 * set; otherwise the request's own, where X-Forwarded-Host and X-Forwarded-Proto count only as written by the
 * outermost trusted proxy (TRUSTED_PROXY_COUNT, as for the client's IP and the Origin check) and Host otherwise.
 * A host that is not a plain host[:port] is not used. Set APP_ORIGIN in production: Host is the client's to choose.
 */
export function publicOrigin(
  headers: Headers,
  config: Pick<ServerConfig, 'appOrigin' | 'trustedProxyCount'> = serverConfig(),
): string | undefined {
  if (config.appOrigin) return config.appOrigin;
  const forwardedHost = trustedForwardedEntry(headers.get('x-forwarded-host'), config.trustedProxyCount);
  const forwardedProto = trustedForwardedEntry(headers.get('x-forwarded-proto'), config.trustedProxyCount);
  const host = forwardedHost ?? headers.get('host');
  const proto = forwardedHost || forwardedProto ? (forwardedProto ?? 'https') : 'http';
  if (!host || (proto !== 'http' && proto !== 'https')) return undefined;
  if (!/^([a-z0-9-]+(\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(:\d{1,5})?$/i.test(host)) return undefined;
  return `${proto}://${host.toLowerCase()}`;
}
