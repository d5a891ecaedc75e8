/**
 * Free TCP ports on the loopback interface.
 *
 * Every launcher binds its real service to 127.0.0.1 on a port the kernel picked, so test files, a
 * developer's demo and CI runs never collide with each other or with something already listening.
 */
import net from 'node:net';

/**
 * Asks the kernel for an unused port on 127.0.0.1 (listen on port 0, read the port, close).
 *
 * The port is free when this returns; another process could take it before the caller binds it, which
 * is rare enough on a test machine that launchers simply fail loudly if it happens.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error(`freePort: unexpected listen address ${String(address)}`));
        return;
      }
      const { port } = address;
      server.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}

/**
 * Starts `server` listening on `host`:`port` (default 127.0.0.1, and port 0: one the kernel picks) and
 * resolves with the port it got; rejects when it cannot listen (e.g. the port was taken meanwhile).
 */
export function listen(server: net.Server, port = 0, host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}
