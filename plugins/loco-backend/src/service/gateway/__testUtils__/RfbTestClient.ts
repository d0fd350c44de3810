import type net from 'node:net';
import WebSocket from 'ws';
import * as msg from './rfbClientMessages';

/**
 * A viewer for tests: a WebSocket to the gateway that speaks the client side
 * of RFB 3.8 and can send any bytes, well-formed or hostile.
 */
export class RfbTestClient {
  /** What arrived and was not read yet, as it arrived (joined only as reads need). */
  private chunks: Buffer[] = [];
  private buffered = 0;
  private waiter?: () => void;
  /** The connection under the WebSocket, for frames built by the test. */
  private socket?: net.Socket;
  closeCode?: number;
  closeReason?: string;
  readonly closed: Promise<number>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      this.chunks.push(data);
      this.buffered += data.length;
      this.waiter?.();
    });
    this.closed = new Promise(resolve =>
      ws.once('close', (code, reason) => {
        this.closeCode = code;
        this.closeReason = reason.toString();
        this.waiter?.();
        resolve(code);
      }),
    );
  }

  /** Opens the WebSocket; rejects with the HTTP status if the upgrade is refused. */
  static open(
    url: string,
    protocols: string[],
    headers: Record<string, string> = {},
  ): Promise<RfbTestClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, protocols, { headers });
      const client = new RfbTestClient(ws);
      ws.once('upgrade', res => (client.socket = res.socket as net.Socket));
      ws.once('open', () => resolve(client));
      ws.once('unexpected-response', (_req, res) => {
        reject(
          Object.assign(new Error(`HTTP ${res.statusCode}`), {
            status: res.statusCode,
          }),
        );
        res.resume();
        ws.terminate();
      });
      ws.once('error', reject);
    });
  }

  /** The next `n` bytes from the server; throws if it closes first or `timeoutMs` passes. */
  async read(n: number, timeoutMs = Infinity): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.buffered < n) await this.more(deadline);
    let have = 0;
    let count = 0;
    while (have < n) have += this.chunks[count++].length;
    const head =
      count === 1 ? this.chunks[0] : Buffer.concat(this.chunks.slice(0, count));
    const rest = head.subarray(n);
    this.chunks.splice(0, count, ...(rest.length > 0 ? [rest] : []));
    this.buffered -= n;
    return head.subarray(0, n);
  }

  /**
   * Discards what the server sends up to and including a match, and returns
   * the match. `find` gives the index where a match of `length` bytes starts
   * in the bytes buffered so far, or -1.
   */
  async skipPast(
    find: (bytes: Buffer) => number,
    length: number,
    timeoutMs: number,
  ): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const all = Buffer.concat(this.chunks);
      const at = find(all);
      // Without a match, only a tail shorter than a match may begin one.
      const from = at >= 0 ? at + length : Math.max(0, all.length - length + 1);
      const rest = all.subarray(from);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
      if (at >= 0) return all.subarray(at, at + length);
      await this.more(deadline);
    }
  }

  /** Waits for the next bytes from the server. */
  private async more(deadline: number) {
    if (this.closeCode !== undefined)
      throw new Error(
        `closed (${this.closeCode} ${this.closeReason}) while reading`,
      );
    const wait = deadline - Date.now();
    if (wait <= 0) throw new Error('nothing more from the server in time');
    await new Promise<void>(resolve => {
      const timer = wait === Infinity ? undefined : setTimeout(resolve, wait);
      this.waiter = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  send(data: Buffer) {
    this.ws.send(data);
  }

  /**
   * Writes ready-made WebSocket frames (see maskedBinaryFrames) to the
   * connection, after anything sent before; resolves once the socket took them.
   */
  writeFrames(frames: Buffer): Promise<void> {
    return new Promise((resolve, reject) =>
      this.socket!.write(frames, error => (error ? reject(error) : resolve())),
    );
  }

  /** Version, security None, ClientInit (shared=0 on purpose), ServerInit. */
  async handshake(): Promise<{ width: number; height: number }> {
    await this.read(12);
    this.send(msg.version());
    const count = (await this.read(1))[0];
    await this.read(count);
    this.send(msg.securityNone());
    const result = await this.read(4);
    if (result.readUInt32BE(0) !== 0) throw new Error('security failed');
    this.send(msg.clientInit(0));
    const init = await this.read(24);
    await this.read(init.readUInt32BE(20));
    return { width: init.readUInt16BE(0), height: init.readUInt16BE(2) };
  }

  /** Sends a FramebufferUpdateRequest and waits for the 1x1 update of the recording server. */
  async roundTrip() {
    this.send(msg.framebufferUpdateRequest(0, 1, 1));
    await this.read(20);
  }

  close() {
    this.ws.close();
    return this.closed;
  }
}
