import net from 'node:net';

/**
 * A TCP port that is free on 127.0.0.1 right now (the OS picks it: listen on port 0, read it, close).
 * Another process may take it before the caller binds it, so callers that start servers retry with a
 * new port when the server reports "address in use".
 */
export function findFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('findFreePort: the OS gave no TCP port'));
        return;
      }
      server.close((err) => (err ? reject(err) : resolve(address.port)));
    });
  });
}
