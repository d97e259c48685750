import http from 'node:http';
import https from 'node:https';

/** The TCP peer's address, written by the server hook below on every request (any value a client sent is replaced). */
export const PEER_ADDRESS_HEADER = 'x-drop-peer-address';

const installedKey = Symbol.for('drop.peerAddressHeader');
type GlobalWithHook = typeof globalThis & { [installedKey]?: boolean };

/**
 * Next hands route handlers no socket, and fills X-Forwarded-For with the socket address only when the client sent
 * none — so without a proxy, whoever sends the header chooses their address (and a fresh rate-limit budget with each
 * request). This hook, installed at boot in the server process, stamps every incoming request with the address its
 * TCP connection really comes from, before Next sees it.
 */
export function installPeerAddressHeader(): void {
  const g = globalThis as GlobalWithHook;
  if (g[installedKey]) return;
  g[installedKey] = true;
  for (const server of [http.Server.prototype, https.Server.prototype]) {
    const emit = server.emit as (this: http.Server, event: string | symbol, ...args: unknown[]) => boolean;
    server.emit = function (this: http.Server, event: string | symbol, ...args: unknown[]): boolean {
      if (event === 'request') {
        const req = args[0] as http.IncomingMessage;
        req.headers[PEER_ADDRESS_HEADER] = req.socket?.remoteAddress ?? '';
      }
      return emit.call(this, event, ...args);
    } as typeof server.emit;
  }
}

/** The TCP peer's address of a request, or undefined in a process without the hook (unit tests, scripts). */
export function peerAddress(headers: Headers): string | undefined {
  if (!(globalThis as GlobalWithHook)[installedKey]) return undefined;
  return headers.get(PEER_ADDRESS_HEADER) ?? '';
}
