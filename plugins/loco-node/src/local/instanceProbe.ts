import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { QmpClient } from './QmpClient';
import type { VncEndpoint } from './qemuArgs';

/** Connects to an instance's VNC server (`onread`: see VncOpenOptions). */
export function connectVnc(
  endpoint: VncEndpoint,
  onread?: net.OnReadOpts,
): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection({ ...endpoint, onread });
    socket.once('connect', () => {
      socket.removeListener('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/**
 * The measured facts of one running QEMU, refreshed by {@link measure}: QMP run
 * state, whether VNC accepts, and when the screen last changed (a hash of a
 * QMP `screendump` compared with the previous one). Unknown stays null: a fact
 * is never guessed. Owns the instance's QMP connection, because QEMU serves one
 * QMP client at a time.
 */
export class InstanceProbe {
  qmpStatus: string | null = null;
  vncReachable: boolean | null = null;
  lastScreenChangeAt: string | null = null;
  private lastScreenHash: string | null = null;
  private qmpClient?: QmpClient;

  constructor(
    private readonly runDir: string,
    private readonly vnc: VncEndpoint,
  ) {}

  /** The open QMP connection, if any. */
  get qmp(): QmpClient | undefined {
    return this.qmpClient && !this.qmpClient.isClosed
      ? this.qmpClient
      : undefined;
  }

  /** Forgets everything measured (a new QEMU process). */
  reset(): void {
    this.close();
    this.qmpStatus = null;
    this.vncReachable = null;
    this.lastScreenChangeAt = null;
    this.lastScreenHash = null;
  }

  close(): void {
    this.qmpClient?.close();
    this.qmpClient = undefined;
  }

  /** One round of measurements; returns the screen's hash (null when unknown). */
  async measure(): Promise<string | null> {
    let hash: string | null = null;
    try {
      this.qmpClient =
        this.qmp ??
        (await QmpClient.connect(path.join(this.runDir, 'qmp.sock')));
      const status = await this.qmpClient.execute<{ status: string }>(
        'query-status',
      );
      this.qmpStatus = status.status;
      const file = path.join(this.runDir, 'probe.ppm');
      await this.qmpClient.execute('screendump', { filename: file });
      hash = createHash('sha1')
        .update(await fs.readFile(file))
        .digest('hex');
      if (this.lastScreenHash !== null && hash !== this.lastScreenHash) {
        this.lastScreenChangeAt = new Date().toISOString();
      }
      this.lastScreenHash = hash;
    } catch {
      // Not answering yet (booting) or gone: leave the facts unknown.
    }
    this.vncReachable = await connectVnc(this.vnc).then(
      socket => {
        socket.destroy();
        return true;
      },
      () => false,
    );
    return hash;
  }
}
