import { EventEmitter, once } from 'node:events';
import net from 'node:net';
import type { LoggerService } from '@backstage/backend-plugin-api';
import {
  RestartBackoff,
  type RestartBackoffOptions,
} from '../local/restartBackoff';
import { FrameReader } from './lanFrames';

export interface HubAddress {
  host: string;
  port: number;
}

/** Quick first retries (a hub pod restarts in seconds), never slower than 5 s. */
const RECONNECT: RestartBackoffOptions = {
  firstDelayMs: 250,
  maxDelayMs: 5000,
  stableAfterMs: 10_000,
};
/** A hub that does not come up in this time (no endpoints, SYN dropped) is tried again. */
const CONNECT_TIMEOUT_MS = 3000;
/** Frames for a peer that reads slower than this are dropped, as a full switch port does. */
const MAX_QUEUED_BYTES = 1 << 20;

/**
 * Stands between QEMU and the chart's LAN hub, because QEMU 7.2's
 * `socket`/`stream` netdev never reconnects: once the hub restarts, that
 * instance is off the LAN until its QEMU restarts. QEMU connects to this relay
 * on 127.0.0.1 instead, and that connection lasts as long as the QEMU process;
 * the relay keeps (re)connecting to the hub with a backoff and forwards only
 * whole frames (QEMU's 4-byte length framing) both ways. While the hub is away
 * frames are dropped, which an Ethernet guest survives, and a frame cut in
 * half by a lost hub connection is never passed on, so QEMU's stream stays in
 * step.
 */
export class LanRelay {
  private qemu?: net.Socket;
  private hub?: net.Socket;
  private closed = false;
  private retry?: NodeJS.Timeout;
  private readonly backoff = new RestartBackoff(RECONNECT);
  private readonly events = new EventEmitter();

  private constructor(
    private readonly server: net.Server,
    readonly hubAddress: HubAddress,
    private readonly logger: LoggerService,
  ) {
    server.on('connection', socket => this.acceptQemu(socket));
  }

  /** Listens on a free loopback port and starts joining the hub. */
  static async start(
    hub: HubAddress,
    logger: LoggerService,
  ): Promise<LanRelay> {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const relay = new LanRelay(server, hub, logger);
    relay.connectHub();
    return relay;
  }

  /** The loopback port QEMU connects to. */
  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** Whether the relay has a live connection to the hub right now. */
  get joined(): boolean {
    return this.hub !== undefined;
  }

  /** QEMU's netdev with the hub's address replaced by this relay's. */
  netdevFor(netdev: string): string {
    const relay = `127.0.0.1:${this.port}`;
    return netdev
      .replace(/((?:^|,)connect=)[^,]+:\d+/, `$1${relay}`)
      .replace(/((?:^|,)addr\.host=)[^,]+/, '$1127.0.0.1')
      .replace(/((?:^|,)addr\.port=)\d+/, `$1${this.port}`);
  }

  /** Resolves true once joined, false after `timeoutMs` or when `signal` aborts. */
  async waitJoined(timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (this.joined) return true;
    const timeout = AbortSignal.timeout(timeoutMs);
    const until = signal ? AbortSignal.any([signal, timeout]) : timeout;
    return once(this.events, 'joined', { signal: until }).then(
      () => true,
      () => false,
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    this.hub?.destroy();
    this.qemu?.destroy();
    await new Promise<void>(resolve => this.server.close(() => resolve()));
  }

  /** A restarted QEMU connects again: the newest connection is the instance's. */
  private acceptQemu(socket: net.Socket): void {
    this.qemu?.destroy();
    this.qemu = socket;
    socket.setNoDelay(true);
    const reader = new FrameReader();
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const f of reader.push(chunk)) forward(f, this.hub);
      } catch (error) {
        this.logger.warn(`LAN relay: QEMU sent ${error}; dropping it`);
        socket.destroy();
      }
    });
    socket.on('error', () => {}); // 'close' follows
    socket.on('close', () => {
      if (this.qemu === socket) this.qemu = undefined;
    });
  }

  private connectHub(): void {
    if (this.closed) return;
    const { host, port } = this.hubAddress;
    const socket = net.connect({ host, port });
    const reader = new FrameReader();
    let since: number | undefined;
    let lastError = 'closed';
    socket.setNoDelay(true);
    // A hub whose node vanished sends no FIN: keepalive notices (in minutes).
    socket.setKeepAlive(true, 5000);
    socket.setTimeout(CONNECT_TIMEOUT_MS, () => {
      lastError = 'connect timed out';
      socket.destroy();
    });
    socket.once('connect', () => {
      socket.setTimeout(0);
      since = Date.now();
      this.hub = socket;
      this.logger.info(`LAN relay: joined the hub ${host}:${port}`);
      this.events.emit('joined');
    });
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const f of reader.push(chunk)) forward(f, this.qemu);
      } catch (error) {
        lastError = String(error);
        socket.destroy();
      }
    });
    socket.on('error', error => {
      lastError = error.message;
    });
    socket.on('close', () => {
      if (this.hub === socket) this.hub = undefined;
      if (this.closed) return;
      if (since !== undefined) {
        this.logger.warn(
          `LAN relay: lost the hub ${host}:${port} (${lastError}, ${reader.partialBytes} bytes of a partial frame dropped); reconnecting`,
        );
      }
      const delay = this.backoff.next(
        since === undefined ? 0 : Date.now() - since,
      );
      this.retry = setTimeout(() => this.connectHub(), delay);
    });
  }
}

function forward(frame: Buffer, to: net.Socket | undefined): void {
  if (to && to.writableLength < MAX_QUEUED_BYTES) to.write(frame);
}
