import net from 'node:net';

/** The longest textual IP address: an IPv6 address ending in an IPv4 one (`ffff:…:255.255.255.255`). */
export const MAX_IP_LENGTH = 45;

/**
 * The entry of a list-valued proxy header (X-Forwarded-For, X-Forwarded-Host) that the outermost of `proxies`
 * trusted proxies wrote. Each proxy appends what it saw, so that entry is the `proxies`-th from the right and
 * everything further left is the client's own claim. A list shorter than that did not pass through the proxies as
 * configured (one of them overwrote the header, or was bypassed): nothing in it is trusted.
 */
export function trustedForwardedEntry(value: string | null, proxies: number): string | undefined {
  const chain = (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return proxies >= 1 && chain.length >= proxies ? chain[chain.length - proxies] : undefined;
}

/** A valid IPv4 or IPv6 address (an IPv4-mapped IPv6 one as IPv4), or null for anything else. */
export function validIp(candidate: string | undefined): string | null {
  if (!candidate || candidate.length > MAX_IP_LENGTH || net.isIP(candidate) === 0) return null;
  return candidate.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
}
