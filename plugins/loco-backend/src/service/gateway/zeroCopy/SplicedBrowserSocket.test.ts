import {
  relayBetween,
  until,
  type VncTransport,
} from './__testUtils__/relayBetween';

interface Frame {
  opcode: number;
  payload: Buffer;
}

/** Parses server-to-client WebSocket frames (unmasked, RFC 6455 5.2). */
function parseFrames(bytes: Buffer): Frame[] {
  const frames: Frame[] = [];
  let at = 0;
  while (at < bytes.length) {
    expect(bytes[at] & 0x80).toBe(0x80); // FIN: the relay never fragments
    const opcode = bytes[at] & 0x0f;
    let length = bytes[at + 1] & 0x7f;
    let header = 2;
    if (length === 126) {
      length = bytes.readUInt16BE(at + 2);
      header = 4;
    } else if (length === 127) {
      length = Number(bytes.readBigUInt64BE(at + 2));
      header = 10;
    }
    const payload = bytes.subarray(at + header, at + header + length);
    expect(payload.length).toBe(length);
    frames.push({ opcode, payload });
    at += header + length;
  }
  return frames;
}

/** Whether the complete frames received so far end with `trailer` as data. */
function dataEndsWith(bytes: Buffer, trailer: Buffer): boolean {
  let last = Buffer.alloc(0);
  let at = 0;
  while (at + 2 <= bytes.length) {
    let length = bytes[at + 1] & 0x7f;
    let header = 2;
    if (length === 126 && at + 4 <= bytes.length) {
      [length, header] = [bytes.readUInt16BE(at + 2), 4];
    } else if (length === 127 && at + 10 <= bytes.length) {
      [length, header] = [Number(bytes.readBigUInt64BE(at + 2)), 10];
    } else if (length >= 126) break; // the length is not all here yet
    if (at + header + length > bytes.length) break; // nor the payload
    if ((bytes[at] & 0x0f) === 2) {
      const payload = bytes.subarray(at + header, at + header + length);
      last = Buffer.concat([last, payload]).subarray(-trailer.length);
    }
    at += header + length;
  }
  return last.equals(trailer);
}

// The relay splices from TCP (pods) and copies from unix sockets (local
// QEMU), where splicing is slow; both must frame the same way.
describe.each<VncTransport>(['tcp', 'unix'])(
  'SplicedBrowserSocket over the native relay, VNC over %s',
  vncOver => {
    it('carries VNC bytes in order as binary frames, with written frames whole between them', async () => {
      const r = await relayBetween(vncOver);
      r.relayed.start(() => undefined);
      const screen = Buffer.alloc(3 << 20);
      for (let i = 0; i < screen.length; i++) screen[i] = (i * 7919) >> 3;
      r.vncServerSide.write(screen.subarray(0, 1 << 20));
      const ping = Buffer.from([0x89, 0x04, 1, 2, 3, 4]);
      r.relayed.write(ping);
      r.vncServerSide.write(screen.subarray(1 << 20));
      // A trailer sent last: anything more the relay sent comes before it.
      const trailer = Buffer.from('end of the test stream');
      r.vncServerSide.write(trailer);
      await until(() => dataEndsWith(Buffer.concat(r.received), trailer));

      const frames = parseFrames(Buffer.concat(r.received));
      const data = frames.filter(f => f.opcode === 2);
      expect(
        Buffer.concat(data.map(f => f.payload)).equals(
          Buffer.concat([screen, trailer]),
        ),
      ).toBe(true);
      expect(frames.filter(f => f.opcode === 9)).toEqual([
        { opcode: 9, payload: Buffer.from([1, 2, 3, 4]) },
      ]);
      expect(r.relayed.takeRelayedBytes()).toBe(screen.length + trailer.length);
      r.cleanup();
    });

    it('writes input to VNC at once, says how much the full socket took, and nothing once closed', async () => {
      const r = await relayBetween(vncOver);
      r.relayed.start(() => undefined);
      const arrived: Buffer[] = [];
      r.vncServerSide.on('data', (chunk: Buffer) => arrived.push(chunk));
      expect(r.relayed.writeToVnc(Buffer.from('key'))).toBe(3);
      await until(() => arrived.length > 0);
      expect(Buffer.concat(arrived).toString()).toBe('key');

      r.vncServerSide.pause(); // the VNC server stops reading
      const big = Buffer.alloc(1 << 20, 7);
      let written = r.relayed.writeToVnc(big);
      while (written === big.length) written = r.relayed.writeToVnc(big);
      expect(written).toBeGreaterThanOrEqual(0);
      expect(written).toBeLessThan(big.length);
      expect(r.relayed.writeToVnc(big)).toBe(0);

      r.relayed.destroy();
      expect(r.relayed.writeToVnc(Buffer.from('late'))).toBe(-1);
      r.cleanup();
    });

    it('after stop() sends only what it owed: the close frame is the last frame, and the VNC connection ends at once', async () => {
      const r = await relayBetween(vncOver);
      r.relayed.start(() => undefined);
      const block = Buffer.alloc(64 << 10, 1);
      let streaming = true;
      // stop() shuts the VNC connection down: the server's writes then fail.
      r.vncServerSide.on('error', () => (streaming = false));
      const vncEnded = new Promise(resolve =>
        r.vncServerSide.once('end', resolve).once('error', resolve),
      );
      r.vncServerSide.resume();
      const pump = () => {
        while (streaming && r.vncServerSide.write(block));
        if (streaming) r.vncServerSide.once('drain', pump);
      };
      pump();
      await until(() => r.received.length > 4);
      r.relayed.stop();
      r.relayed.end(Buffer.from([0x88, 0x02, 0x03, 0xe8])); // close 1000
      // The VNC server sees the end while the browser is still owed bytes.
      await vncEnded;
      await r.ended; // the relay wrote everything owed, then the FIN
      streaming = false;

      const frames = parseFrames(Buffer.concat(r.received));
      expect(frames.at(-1)).toEqual({
        opcode: 8,
        payload: Buffer.from([0x03, 0xe8]),
      });
      expect(frames.slice(0, -1).every(f => f.opcode === 2)).toBe(true);
      r.cleanup();
    });
  },
);
