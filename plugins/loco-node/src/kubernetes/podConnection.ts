import net from 'node:net';
import { Duplex, PassThrough, Writable } from 'node:stream';
import { KubeConfig, PortForward, V1Pod } from '@kubernetes/client-node';
import { AGENT_PORT } from '@loco-portal/plugin-loco-common';

export type EmulatorAccess = 'direct' | 'portForward';

/** Ports of the emulator image (chart contract): QEMU's VNC, and the agent's (health and control). */
export interface EmulatorPorts {
  vnc: number;
  health: number;
}

export const DEFAULT_EMULATOR_PORTS: EmulatorPorts = {
  vnc: 5901,
  health: AGENT_PORT,
};

/**
 * Opens a TCP byte stream to one port of a pod: straight to the pod IP when
 * the backend runs inside the cluster network, or tunnelled through the API
 * server's `pods/portforward` subresource when it runs outside.
 */
export async function connectToPod(
  access: EmulatorAccess,
  kubeConfig: KubeConfig,
  pod: V1Pod,
  port: number,
  /** Honoured for direct connections only (see VncOpenOptions). */
  onread?: net.OnReadOpts,
): Promise<Duplex> {
  const namespace = pod.metadata?.namespace ?? 'default';
  const name = pod.metadata?.name ?? '';
  if (access === 'direct') {
    const host = pod.status?.podIP;
    if (!host) throw new Error(`pod ${namespace}/${name} has no IP yet`);
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port, onread });
      socket.once('connect', () => {
        socket.off('error', reject);
        socket.on('error', () => {}); // see portForward: never an unhandled 'error'
        resolve(socket);
      });
      socket.once('error', reject);
    });
  }
  return portForward(kubeConfig, namespace, name, port);
}

async function portForward(
  kubeConfig: KubeConfig,
  namespace: string,
  name: string,
  port: number,
): Promise<Duplex> {
  const input = new PassThrough();
  // Filled in once the WebSocket is open; the Duplex exists before that.
  const link: { ws?: { close(): void } } = {};
  const duplex = new Duplex({
    read() {},
    write(chunk, _encoding, callback) {
      input.write(chunk, callback);
    },
    final(callback) {
      input.end();
      callback();
    },
    destroy(error, callback) {
      link.ws?.close();
      input.destroy();
      callback(error);
    },
  });
  const output = new Writable({
    write(chunk, _encoding, callback) {
      duplex.push(chunk);
      callback();
    },
  });
  // The API server reports a failed dial of the pod port on the error channel.
  const errors = new Writable({
    write(chunk, _encoding, callback) {
      // client-node passes the channel's port header on as an empty chunk.
      if (chunk.length > 0) {
        duplex.destroy(
          new Error(
            `port-forward to ${namespace}/${name}:${port}: ${chunk.toString()}`,
          ),
        );
      }
      callback();
    },
  });
  let socket: any;
  try {
    socket = await new PortForward(kubeConfig, true).portForward(
      namespace,
      name,
      [port],
      output,
      errors,
      input,
    );
  } catch (error) {
    // client-node rejects with the WebSocket's ErrorEvent (not an Error), e.g.
    // "Unexpected server response: 400" for a pod without a node.
    const message = (error as { message?: string })?.message ?? String(error);
    throw new Error(
      `port-forward to ${namespace}/${name}:${port} refused: ${message}`,
    );
  }
  link.ws = socket;
  // An error before the caller listens must not crash the backend; callers
  // that listen still get it.
  duplex.on('error', () => {});
  socket.on('close', () => duplex.push(null));
  socket.on('error', (error: Error) => duplex.destroy(error));
  return duplex;
}
