import net from 'node:net';

/**
 * The TCP hub a `-netdev` connects to (the chart's hub mode), or null for
 * any other LAN. QEMU starts even when the hub is not up yet, but the NIC link
 * then stays down (QEMU < 8 does not reconnect): the agent waits for it first.
 */
export function hubAddress(
  netdev: string,
): { host: string; port: number } | null {
  const socket = /(?:^|,)connect=([^,]+):(\d+)(?:,|$)/.exec(netdev);
  if (socket) return { host: socket[1], port: Number(socket[2]) };
  const host = /(?:^|,)addr\.host=([^,]+)/.exec(netdev);
  const port = /(?:^|,)addr\.port=(\d+)/.exec(netdev);
  if (netdev.startsWith('stream,') && host && port)
    return { host: host[1], port: Number(port[1]) };
  return null;
}

/** One connect-and-close (it does not disturb QEMU's hub, measured). */
export function hubAccepts(
  hub: { host: string; port: number },
  timeoutMs = 2000,
): Promise<boolean> {
  return new Promise(resolve => {
    const socket = net.connect(hub);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
