import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import type { NativeRelay, NativeRelayConstructor } from './spliceRelay';

/** What a VNC session needs of a zero-copy relay. */
export interface ZeroCopyRelay {
  /** Starts relaying; `onVncEnd` runs once when the VNC side ends or fails. */
  start(onVncEnd: (failure?: string) => void): void;
  /** Stops relaying VNC (the session is closing); ws's close frame still goes out. */
  stop(): void;
  /** Bytes relayed to the browser since the last call. */
  takeRelayedBytes(): number;
  /**
   * Writes the viewer's input to VNC straight to the kernel, past Node's
   * stream: the bytes written (0 when the socket is full), -1 when the write
   * failed or the relay is closed. The caller writes the rest through the
   * VNC socket, whose errors and backpressure then apply as usual.
   */
  writeToVnc(data: Buffer): number;
}

/**
 * The browser's socket as `ws` sees it when the native relay carries the
 * screen. Reads pass straight through (the viewer's RFB messages still go
 * through ws and the input filter); every write - the upgrade response,
 * pings, close frames, anything sent before the relay started - goes to the
 * relay, which writes it between its own frames so nothing lands inside one.
 */
export class SplicedBrowserSocket extends Duplex implements ZeroCopyRelay {
  private readonly relay: NativeRelay;
  private relayClosed = false;
  /** Bytes counted when the relay closed, not yet taken. */
  private lastRelayedBytes = 0;
  private onVncEnd?: (failure?: string) => void;
  private onDrained?: () => void;

  constructor(
    private readonly socket: Socket,
    vncFd: number,
    browserFd: number,
    Relay: NativeRelayConstructor,
  ) {
    super({ allowHalfOpen: true });
    this.relay = new Relay(vncFd, browserFd, (event, detail) => {
      if (event === 'drained') this.onDrained?.();
      // Nothing owed can reach a viewer that is gone, so no 'drained' will
      // come: a pending end() would wait forever, and ws with it.
      else if (event === 'viewer-gone') this.destroy();
      else this.endOfVnc(event === 'error' ? detail : undefined);
    });
    socket.on('data', chunk => {
      if (!this.push(chunk)) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('error', error => this.destroy(error));
    socket.on('close', () => this.destroy());
  }

  start(onVncEnd: (failure?: string) => void) {
    this.onVncEnd = onVncEnd;
    if (!this.relayClosed) this.relay.start();
  }

  stop() {
    this.onVncEnd = undefined;
    if (!this.relayClosed) this.relay.stopReading();
  }

  takeRelayedBytes(): number {
    if (!this.relayClosed) return this.relay.takeRelayedBytes();
    const bytes = this.lastRelayedBytes;
    this.lastRelayedBytes = 0;
    return bytes;
  }

  writeToVnc(data: Buffer): number {
    return this.relayClosed ? -1 : this.relay.writeToVnc(data);
  }

  private endOfVnc(failure?: string) {
    const onVncEnd = this.onVncEnd;
    this.onVncEnd = undefined;
    onVncEnd?.(failure);
  }

  // ws calls these on its socket.
  setNoDelay(noDelay?: boolean): this {
    this.socket.setNoDelay(noDelay);
    return this;
  }

  setTimeout(ms: number, callback?: () => void): this {
    this.socket.setTimeout(ms, callback);
    return this;
  }

  override _read() {
    this.socket.resume();
  }

  override _write(chunk: Buffer, _: BufferEncoding, done: () => void) {
    this.relay.write(chunk);
    done();
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, done: () => void) {
    for (const { chunk } of chunks) this.relay.write(chunk);
    done();
  }

  /** Half-closes only after the relay wrote everything (the close frame last). */
  override _final(done: () => void) {
    this.onDrained = () => {
      this.onDrained = undefined;
      this.socket.end();
      done();
    };
    this.relay.onDrained();
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void) {
    if (!this.relayClosed) {
      this.lastRelayedBytes = this.relay.takeRelayedBytes();
      this.relayClosed = true;
      this.relay.close();
    }
    // The viewer's side is gone; ws reports that, not the VNC side.
    this.onVncEnd = undefined;
    this.socket.destroy();
    done(error);
  }
}
