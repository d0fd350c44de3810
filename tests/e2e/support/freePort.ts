import net from 'node:net';

/**
 * A TCP port nobody listens on now: the kernel picks one for a listener on
 * port 0, which is closed again at once. The portal cannot listen on port 0
 * itself - its own address (app and backend baseUrl) must name the port
 * before it starts - so a port taken in between is retried by the caller.
 */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // No host: all interfaces, as the backend listens.
    server.listen(0, () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise(resolve => server.close(resolve));
  return port;
}
