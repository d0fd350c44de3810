import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { loadSpliceRelay, plainSocketFd } from '../spliceRelay';
import { SplicedBrowserSocket } from '../SplicedBrowserSocket';

const listen = async (
  onConnection: (socket: net.Socket) => void,
  unixPath?: string,
) => {
  const server = net.createServer(onConnection);
  await new Promise<void>(resolve =>
    unixPath
      ? server.listen(unixPath, resolve)
      : server.listen(0, '127.0.0.1', resolve),
  );
  return { server, port: (server.address() as net.AddressInfo).port };
};

/** How the relay reaches VNC: TCP (a pod) or a unix socket (local QEMU). */
export type VncTransport = 'tcp' | 'unix';

/** A VNC server, a browser, and the relay between them as the gateway sets it up. */
export async function relayBetween(vncOver: VncTransport) {
  const support = loadSpliceRelay();
  if (!support.available) throw new Error(support.reason);
  let vncServerSide!: net.Socket;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loco-relay-'));
  const unixPath = vncOver === 'unix' ? path.join(dir, 'vnc.sock') : undefined;
  const vnc = await listen(s => (vncServerSide = s), unixPath);
  const onread = { buffer: Buffer.alloc(1024), callback: () => true };
  const vncSocket = unixPath
    ? net.connect({ path: unixPath, onread })
    : net.connect({ port: vnc.port, host: '127.0.0.1', onread });
  await new Promise(resolve => vncSocket.once('connect', resolve));
  vncSocket.pause(); // as the gateway does: the relay reads from here on
  let gatewaySide!: net.Socket;
  const browserServer = await listen(s => (gatewaySide = s));
  const browser = net.connect(browserServer.port, '127.0.0.1');
  await new Promise(resolve => browser.once('connect', resolve));
  while (!gatewaySide || !vncServerSide)
    await new Promise(r => setImmediate(r));
  const relayed = new SplicedBrowserSocket(
    gatewaySide,
    plainSocketFd(vncSocket)!,
    plainSocketFd(gatewaySide)!,
    support.Relay,
  );
  const received: Buffer[] = [];
  browser.on('data', (chunk: Buffer) => received.push(chunk));
  const ended = new Promise(resolve => browser.once('end', resolve));
  const cleanup = () => {
    for (const s of [vncSocket, vncServerSide, browser, relayed]) s.destroy();
    vnc.server.close();
    browserServer.server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  return { vncSocket, vncServerSide, relayed, received, ended, cleanup };
}

export const until = async (condition: () => boolean) => {
  while (!condition()) await new Promise(r => setTimeout(r, 5));
};
