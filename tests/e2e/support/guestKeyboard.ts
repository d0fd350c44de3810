import fs from 'node:fs/promises';
import net from 'node:net';
import { findQemu } from './screens.ts';

/**
 * The operator's keyboard on a local instance: a shared RFB client straight
 * on QEMU's own VNC unix socket (read from the running QEMU's `-vnc`), so a
 * test can make the guest do something while the browser's user may only
 * watch. Test code only: it goes around the portal on purpose.
 */
export async function typeIntoGuest(
  portalPid: number,
  instanceName: string,
  text: string,
): Promise<void> {
  const [pid] = await findQemu(portalPid, instanceName);
  if (!pid) throw new Error(`no QEMU named ${instanceName}`);
  const argv = (await fs.readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
  const vnc = argv[argv.indexOf('-vnc') + 1] ?? '';
  const socketPath = /^unix:([^,]+)/.exec(vnc)?.[1];
  if (!socketPath) throw new Error(`${instanceName} has no VNC unix socket`);

  const socket = net.connect(socketPath);
  let buffered = Buffer.alloc(0);
  let wake = () => {};
  socket.on('data', d => {
    buffered = Buffer.concat([buffered, d]);
    wake();
  });
  const closed = new Promise<void>(resolve => socket.once('close', resolve));
  socket.on('error', () => undefined);
  const read = async (n: number) => {
    while (buffered.length < n) {
      if (socket.destroyed) throw new Error('VNC closed during handshake');
      await new Promise<void>(resolve => (wake = resolve));
    }
    const head = buffered.subarray(0, n);
    buffered = buffered.subarray(n);
    return head;
  };
  try {
    await read(12);
    socket.write('RFB 003.008\n');
    await read((await read(1))[0]);
    socket.write(Buffer.from([1])); // security None
    if ((await read(4)).readUInt32BE(0) !== 0)
      throw new Error('VNC security failed');
    socket.write(Buffer.from([1])); // shared: the browsers' sessions stay
    const init = await read(24);
    await read(init.readUInt32BE(20));
    for (const keysym of [...text].map(c => c.charCodeAt(0)).concat(0xff0d)) {
      for (const down of [1, 0]) {
        const key = Buffer.alloc(8);
        key.writeUInt8(4, 0);
        key.writeUInt8(down, 1);
        key.writeUInt32BE(keysym, 4);
        socket.write(key);
      }
    }
  } finally {
    socket.end();
    await Promise.race([closed, new Promise(r => setTimeout(r, 2000))]);
    socket.destroy();
  }
}
