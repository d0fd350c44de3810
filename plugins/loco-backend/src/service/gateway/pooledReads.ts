import type { OnReadOpts } from 'node:net';

/** Bytes per read: big enough for a framebuffer update, small enough to stay in cache. */
export const READ_BUFFER_BYTES = 64 * 1024;
/** Spare buffers kept for reuse across all sessions; more are left to the GC. */
const MAX_SPARE_BUFFERS = 64;

/**
 * Read buffers shared by every VNC session of a gateway. Node's default read
 * path allocates a fresh 64 KiB buffer for every read; on a bulk stream that
 * costs page faults and garbage collection, measured at about a third of the
 * gateway's CPU per gigabyte (npm run bench:gateway). Reused buffers cost neither, and the most
 * recently returned one (LIFO) is still warm in the CPU cache.
 */
export class ReadBufferPool {
  private readonly spare: Buffer[] = [];

  take(): Buffer {
    return this.spare.pop() ?? Buffer.allocUnsafe(READ_BUFFER_BYTES);
  }

  give(buffer: Buffer): void {
    if (this.spare.length < MAX_SPARE_BUFFERS) this.spare.push(buffer);
  }

  get spareCount(): number {
    return this.spare.length;
  }
}

/** Receives one read; `release` gives its buffer back once the bytes are sent on. */
export type PooledChunkSink = (chunk: Buffer, release: () => void) => void;

/**
 * The `onread` side of one VNC connection: the socket reads into pool buffers,
 * and each chunk keeps its buffer until the sink releases it (after the
 * WebSocket has written it). The connection opens, and the VNC server greets,
 * before the session exists, so chunks wait here until {@link pipeTo}.
 */
export class PooledVncReader {
  readonly onread: OnReadOpts;
  private sink?: PooledChunkSink;
  private readonly early: Array<[Buffer, () => void]> = [];

  constructor(pool: ReadBufferPool) {
    this.onread = {
      // Called for the first read and again after every callback.
      buffer: () => pool.take(),
      callback: (bytes: number, buffer: Uint8Array) => {
        const chunk = (buffer as Buffer).subarray(0, bytes);
        const release = () => pool.give(buffer as Buffer);
        if (this.sink) this.sink(chunk, release);
        else this.early.push([chunk, release]);
        // Keep reading: backpressure pauses the socket itself (VncSession).
        return true;
      },
    };
  }

  pipeTo(sink: PooledChunkSink): void {
    this.sink = sink;
    for (const [chunk, release] of this.early.splice(0)) sink(chunk, release);
  }
}
