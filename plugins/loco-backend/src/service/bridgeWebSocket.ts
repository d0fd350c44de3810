import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';

/** Stop reading VNC while this much is queued for a slow browser. */
const HIGH_WATER_BYTES = 1 << 20;
const HEARTBEAT_MS = 30_000;

/**
 * Pumps bytes between a browser WebSocket and a VNC stream with backpressure in
 * both directions and heartbeats; either side closing tears down the other.
 */
export function bridgeWebSocket(ws: WebSocket, target: Duplex): void {
  let queued = 0;
  let alive = true;

  target.on('data', (chunk: Buffer) => {
    queued += chunk.length;
    if (queued > HIGH_WATER_BYTES) target.pause();
    ws.send(chunk, { binary: true }, () => {
      queued -= chunk.length;
      if (queued <= HIGH_WATER_BYTES && target.isPaused()) target.resume();
    });
  });
  ws.on('message', (data: Buffer) => {
    if (!target.write(data)) {
      ws.pause();
      target.once('drain', () => ws.resume());
    }
  });

  const heartbeat = setInterval(() => {
    if (!alive) {
      ws.terminate();
      return;
    }
    alive = false;
    ws.ping();
  }, HEARTBEAT_MS);
  ws.on('pong', () => {
    alive = true;
  });

  const teardown = () => {
    clearInterval(heartbeat);
    target.destroy();
    if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close();
  };
  ws.once('close', teardown);
  ws.once('error', teardown);
  target.once('close', teardown);
  target.once('error', teardown);
}
