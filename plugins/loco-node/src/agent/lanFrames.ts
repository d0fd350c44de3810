/**
 * QEMU's `socket` and `stream` netdevs (without vnet headers) send each
 * Ethernet frame as a 4-byte big-endian length followed by the frame
 * (net/net.c, net_fill_rstate). The largest frame QEMU accepts is NET_BUFSIZE
 * (4096 + 65536 bytes): a longer length means the stream is out of step.
 */
export const MAX_FRAME_BYTES = 4096 + 65536;

/**
 * Cuts a byte stream into whole length-prefixed frames, each returned with its
 * length prefix so it can be forwarded as is. What is left over waits for the
 * next chunk; {@link reset} drops it (the peer went away mid-frame).
 */
export class FrameReader {
  private pending: Buffer = Buffer.alloc(0);

  /** The whole frames completed by `chunk`; throws when a length is impossible. */
  push(chunk: Buffer): Buffer[] {
    let data =
      this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    const frames: Buffer[] = [];
    while (data.length >= 4) {
      const length = data.readUInt32BE(0);
      if (length > MAX_FRAME_BYTES) {
        this.reset();
        throw new Error(`frame length ${length} is beyond ${MAX_FRAME_BYTES}`);
      }
      if (data.length < 4 + length) break;
      frames.push(data.subarray(0, 4 + length));
      data = data.subarray(4 + length);
    }
    // Copied: a slice would keep the whole chunk alive.
    this.pending = Buffer.from(data);
    return frames;
  }

  /** Bytes of an incomplete frame held back. */
  get partialBytes(): number {
    return this.pending.length;
  }

  reset(): void {
    this.pending = Buffer.alloc(0);
  }
}

/** One frame in QEMU's framing (test beds and the relay's tests speak it too). */
export function frame(payload: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(payload.length, 0);
  return Buffer.concat([head, payload]);
}
