import net from 'node:net';

/**
 * A TCP port of 127.0.0.1 that nothing listens on right now: the one way every script, test and benchmark picks a
 * port (types in free-port.d.mts).
 */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
