import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { PEER_ADDRESS_HEADER, installPeerAddressHeader, peerAddress } from './peer-address';
import { clientIp } from './request';

describe('the peer address hook', () => {
  it('stamps every request with its TCP peer address, replacing whatever the client sent', async () => {
    installPeerAddressHeader();
    const seen: Array<string | string[] | undefined> = [];
    const server = http.createServer((req, res) => {
      seen.push(req.headers[PEER_ADDRESS_HEADER]);
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      await fetch(url, { headers: { 'x-forwarded-for': '203.0.113.1', [PEER_ADDRESS_HEADER]: '203.0.113.2' } });
      await fetch(url);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    expect(seen).toEqual(['127.0.0.1', '127.0.0.1']);
  });

  it('makes clientIp ignore X-Forwarded-For without a trusted proxy, and use it behind one', () => {
    installPeerAddressHeader();
    const headers = new Headers({ 'x-forwarded-for': '198.51.100.1, 203.0.113.7', [PEER_ADDRESS_HEADER]: '::ffff:192.0.2.5' });
    expect(peerAddress(headers)).toBe('::ffff:192.0.2.5');
    expect(clientIp(headers, 0)).toBe('192.0.2.5');
    expect(clientIp(headers, 1)).toBe('203.0.113.7');
    expect(clientIp(new Headers({ 'x-forwarded-for': '203.0.113.7', [PEER_ADDRESS_HEADER]: '' }), 0)).toBeNull();
  });
});
