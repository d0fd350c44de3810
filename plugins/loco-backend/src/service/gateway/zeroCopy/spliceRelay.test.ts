import net from 'node:net';
import { PassThrough } from 'node:stream';
import tls from 'node:tls';
import { loadSpliceRelay, plainSocketFd } from './spliceRelay';

describe('plainSocketFd', () => {
  let server: net.Server;
  let socket: net.Socket;
  beforeEach(async () => {
    server = net.createServer(peer => peer.on('error', () => undefined));
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    socket = net.connect(port, '127.0.0.1');
    await new Promise(resolve => socket.once('connect', resolve));
  });
  afterEach(() => {
    socket.destroy();
    server.close();
  });

  it('gives the descriptor of a connected plain socket', () => {
    expect(plainSocketFd(socket)).toBeGreaterThan(2);
  });

  it('refuses TLS over that same connection: splicing would send the screen unencrypted', () => {
    const secure = new tls.TLSSocket(socket);
    expect(plainSocketFd(secure)).toBeUndefined();
    secure.destroy();
  });

  it('refuses streams that are not sockets (a port-forward) and sockets not connected', () => {
    expect(plainSocketFd(new PassThrough())).toBeUndefined();
    expect(plainSocketFd(new net.Socket())).toBeUndefined();
  });
});

describe('loadSpliceRelay', () => {
  it('loads the relay that npm install built', () => {
    // Fails with the reason when the build step did not run or failed.
    expect(loadSpliceRelay()).toEqual({
      available: true,
      Relay: expect.any(Function),
    });
  });
});
