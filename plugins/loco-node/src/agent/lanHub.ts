/**
 * The TCP hub a `-netdev` connects to (the chart's hub mode), or null for
 * any other LAN. In hub mode the agent puts its relay (./lanRelay) between
 * QEMU and this address.
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
