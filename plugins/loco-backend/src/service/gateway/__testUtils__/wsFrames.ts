/**
 * WebSocket frames as a browser sends them (RFC 6455 5.2): one final binary
 * frame per payload, masked, back to back in one buffer. Lets a test write a
 * million one-byte messages to the gateway in a few large socket writes, so
 * the cost measured is the gateway's, not the sender's.
 */
export function maskedBinaryFrames(
  payloads: Buffer[],
  mask: Buffer = Buffer.from([0x37, 0xfa, 0x21, 0x3d]),
): Buffer {
  const headerBytes = (n: number) => {
    if (n < 126) return 2;
    return n < 65536 ? 4 : 10;
  };
  let total = 0;
  for (const p of payloads) total += headerBytes(p.length) + 4 + p.length;
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (const p of payloads) {
    out[at++] = 0x82; // FIN, opcode 2 (binary)
    if (p.length < 126) out[at++] = 0x80 | p.length;
    else if (p.length < 65536) {
      out[at++] = 0x80 | 126;
      out.writeUInt16BE(p.length, at);
      at += 2;
    } else {
      out[at++] = 0x80 | 127;
      out.writeBigUInt64BE(BigInt(p.length), at);
      at += 8;
    }
    mask.copy(out, at);
    at += 4;
    for (let i = 0; i < p.length; i++) out[at++] = p[i] ^ mask[i & 3];
  }
  return out;
}

/** `stream` as one masked binary frame per byte: 7 bytes on the wire each. */
export function bytewiseFrames(
  stream: Buffer,
  mask: Buffer = Buffer.from([0x37, 0xfa, 0x21, 0x3d]),
): Buffer {
  const out = Buffer.allocUnsafe(stream.length * 7);
  for (let i = 0, at = 0; i < stream.length; i++, at += 7) {
    out[at] = 0x82; // FIN, opcode 2 (binary)
    out[at + 1] = 0x81; // masked, 1 byte
    mask.copy(out, at + 2);
    out[at + 6] = stream[i] ^ mask[0];
  }
  return out;
}
