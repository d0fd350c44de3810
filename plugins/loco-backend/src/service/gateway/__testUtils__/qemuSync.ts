import type { RfbTestClient } from './RfbTestClient';
import * as msg from './rfbClientMessages';

/** Encoding -258 as QEMU writes it, the last 4 bytes of its acknowledgement. */
const EXT_KEY_ACK_TAIL = Buffer.from([0xff, 0xff, 0xfe, 0xfe]);
const ACK_BYTES = 16;

/**
 * Where QEMU's answer to a SetEncodings listing -258 (extended key events)
 * starts: a FramebufferUpdate of one rectangle at 0,0 of encoding -258 over
 * the whole screen (`send_ext_key_event_ack` in QEMU's ui/vnc.c). Twelve fixed
 * bytes: a match in other traffic is out of the question.
 */
function findExtKeyAck(bytes: Buffer): number {
  for (
    let tail = bytes.indexOf(EXT_KEY_ACK_TAIL, 12);
    tail >= 0;
    tail = bytes.indexOf(EXT_KEY_ACK_TAIL, tail + 1)
  ) {
    const start = tail - 12;
    if (bytes.readUInt32BE(start) === 1 && bytes.readUInt32BE(start + 4) === 0)
      return start;
  }
  return -1;
}

/**
 * Proves that QEMU still reads this session's messages where the client
 * meant them to start, and still answers: whatever the session sent before,
 * a SetEncodings is acknowledged and a FramebufferUpdateRequest gets a
 * well-formed FramebufferUpdate. Throws otherwise (or if the session closes).
 *
 * The session's earlier messages may have chosen any encoding and pixel
 * format, so what QEMU sent before cannot be parsed: the probe skips to the
 * acknowledgement, then resets the session to raw 32-bit pixels and parses
 * from a second acknowledgement on.
 */
export async function expectQemuInSync(
  client: RfbTestClient,
  timeoutMs = 10_000,
): Promise<{ width: number; height: number; rectangles: number }> {
  client.send(
    Buffer.concat([
      msg.setEncodings([0, msg.EXT_KEY_EVENT]),
      msg.setPixelFormat(32),
      msg.qemuAudioDisable(),
    ]),
  );
  await client.skipPast(findExtKeyAck, ACK_BYTES, timeoutMs);
  // An update QEMU began encoding before that SetEncodings may still come,
  // in the old encoding: let it pass before the second acknowledgement.
  await new Promise(resolve => setTimeout(resolve, 300));
  client.send(
    Buffer.concat([
      msg.setEncodings([0, msg.EXT_KEY_EVENT]),
      msg.framebufferUpdateRequest(0, 16, 16),
    ]),
  );
  const ack = await client.skipPast(findExtKeyAck, ACK_BYTES, timeoutMs);
  const width = ack.readUInt16BE(8);
  const height = ack.readUInt16BE(10);
  const read = (n: number) => client.read(n, timeoutMs);
  for (;;) {
    const type = (await read(1))[0];
    if (type === 0) {
      const rectangles = (await read(3)).readUInt16BE(1);
      for (let i = 0; i < rectangles; i++) {
        const rect = await read(12);
        const [x, y, w, h] = [0, 2, 4, 6].map(at => rect.readUInt16BE(at));
        const encoding = rect.readInt32BE(8);
        if (encoding !== 0 || x + w > width || y + h > height)
          throw new Error(
            `out of sync: rectangle ${w}x${h}+${x}+${y} in encoding ${encoding} on ${width}x${height}`,
          );
        await read(w * h * 4);
      }
      return { width, height, rectangles };
    }
    await skipServerMessage(type, read);
  }
}

/** Skips a server message other than a FramebufferUpdate (RFC 6143 7.6, QEMU audio). */
async function skipServerMessage(
  type: number,
  read: (n: number) => Promise<Buffer>,
) {
  switch (type) {
    case 1: // SetColourMapEntries: padding, u16 first, u16 count, count x 6
      await read(6 * (await read(5)).readUInt16BE(3));
      return;
    case 2: // Bell
      return;
    case 3: // ServerCutText: 3 padding, s32 length (negative: extended)
      await read(Math.abs((await read(7)).readInt32BE(3)));
      return;
    case 255: {
      // QEMU audio: 1, u16 operation; data (2) adds u32 length, samples.
      const head = await read(3);
      if (head[0] !== 1)
        throw new Error(`out of sync: QEMU server message ${head[0]}`);
      if (head.readUInt16BE(1) === 2)
        await read((await read(4)).readUInt32BE(0));
      return;
    }
    default:
      throw new Error(`out of sync: server message type ${type}`);
  }
}
