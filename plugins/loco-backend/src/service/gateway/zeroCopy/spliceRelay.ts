import fs from 'node:fs';
import type { Socket } from 'node:net';
import { resolvePackagePath } from '@backstage/backend-plugin-api';

/**
 * Events of a native relay: the VNC side ended or failed, writing to the
 * browser failed (the viewer is gone), or all owed bytes were written.
 */
export type RelayEvent = 'end' | 'error' | 'viewer-gone' | 'drained';

/** The native relay of `native/splice_relay.c` (one per session). */
export interface NativeRelay {
  /** Starts splicing VNC to the browser as binary WebSocket frames. */
  start(): void;
  /** Stops reading VNC; queued frames are still written. */
  stopReading(): void;
  /** Queues whole WebSocket frames, written between data frames. */
  write(frames: Buffer): void;
  /** Writes to VNC now: bytes written (0 when the socket is full), -1 on failure. */
  writeToVnc(data: Buffer): number;
  /** Asks for one 'drained' event once nothing is owed to the browser. */
  onDrained(): void;
  /** Payload bytes spliced since the last call. */
  takeRelayedBytes(): number;
  /** Stops and closes the relay's own descriptors; the sockets stay open. */
  close(): void;
}

export type NativeRelayConstructor = new (
  vncFd: number,
  browserFd: number,
  onEvent: (event: RelayEvent, detail: string) => void,
) => NativeRelay;

export type SpliceRelaySupport =
  | { available: true; Relay: NativeRelayConstructor }
  | { available: false; reason: string };

/**
 * Loads the zero-copy relay built by `native/build.mjs` (on `npm install`).
 * Without it, or off Linux, the gateway relays in JavaScript; the reason is
 * returned so the backend can say why at startup.
 */
export function loadSpliceRelay(): SpliceRelaySupport {
  if (process.platform !== 'linux') {
    return { available: false, reason: 'splice(2) is Linux only' };
  }
  const file = resolvePackagePath(
    '@loco-portal/plugin-loco-backend',
    'native/build/splice_relay.node',
  );
  if (!fs.existsSync(file)) {
    return {
      available: false,
      reason: `${file} is not built (node native/build.mjs needs a C compiler)`,
    };
  }
  try {
    // A native addon is loaded with require; bundlers must leave it alone.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const addon = require(file) as { Relay: NativeRelayConstructor };
    return { available: true, Relay: addon.Relay };
  } catch (error) {
    return { available: false, reason: `${file} failed to load: ${error}` };
  }
}

/**
 * The kernel descriptor behind a plain socket (TCP or unix), or undefined for
 * anything the relay must not bypass: TLS sockets (splicing would skip the
 * encryption), streams that are not sockets (Kubernetes port-forward).
 */
export function plainSocketFd(stream: unknown): number | undefined {
  const socket = stream as Partial<Socket> & {
    encrypted?: boolean;
    _handle?: { fd?: number };
  };
  if (socket.encrypted || typeof socket.setNoDelay !== 'function') {
    return undefined;
  }
  const fd = socket._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}
