/**
 * Counts a screen's real frames: an RFB client on the gateway's screen
 * WebSocket that asks for raw updates only and parses every server message,
 * so a FramebufferUpdate is counted when it has fully arrived, and asks for
 * the next (incremental) one at once, as noVNC does.
 */
export class ScreenFrames {
  frames = 0;
  private buffered = Buffer.alloc(0);
  private wake = () => {};

  constructor(private readonly ws: any) {
    ws.on('message', (data: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, data]);
      this.wake();
    });
  }

  private async read(n: number): Promise<Buffer> {
    while (this.buffered.length < n)
      await new Promise<void>(resolve => (this.wake = resolve));
    const head = this.buffered.subarray(0, n);
    this.buffered = this.buffered.subarray(n);
    return head;
  }

  /** Handshake (shared, so other sessions stay), then reads until the socket closes. */
  async run(): Promise<void> {
    await this.read(12);
    this.ws.send(Buffer.from('RFB 003.008\n'));
    await this.read((await this.read(1))[0]);
    this.ws.send(Buffer.from([1]));
    await this.read(4);
    this.ws.send(Buffer.from([1]));
    const init = await this.read(24);
    await this.read(init.readUInt32BE(20));
    const bytesPerPixel = init[4] / 8;
    const [width, height] = [init.readUInt16BE(0), init.readUInt16BE(2)];
    // SetEncodings [raw]: sizes are known from the rectangle headers alone.
    this.ws.send(Buffer.from([2, 0, 0, 1, 0, 0, 0, 0]));
    const request = (incremental: number) => {
      const m = Buffer.alloc(10);
      m.writeUInt8(3, 0);
      m.writeUInt8(incremental, 1);
      m.writeUInt16BE(width, 6);
      m.writeUInt16BE(height, 8);
      this.ws.send(m);
    };
    request(0);
    for (;;) {
      const type = (await this.read(1))[0];
      if (type === 0) {
        const rects = (await this.read(3)).readUInt16BE(1);
        for (let i = 0; i < rects; i++) {
          const h = await this.read(12);
          await this.read(
            h.readUInt16BE(4) * h.readUInt16BE(6) * bytesPerPixel,
          );
        }
        this.frames += 1;
        request(1);
      } else if (type === 2) {
        // Bell.
      } else if (type === 3) {
        await this.read(3);
        await this.read((await this.read(4)).readUInt32BE(0));
      } else {
        throw new Error(`unexpected server message ${type} on the screen`);
      }
    }
  }

  /** Types `text` and Return into the guest (shifted symbols with Shift held). */
  type(text: string) {
    const key = (keysym: number, down: number) => {
      const m = Buffer.alloc(8);
      m.writeUInt8(4, 0);
      m.writeUInt8(down, 1);
      m.writeUInt32BE(keysym, 4);
      this.ws.send(m);
    };
    for (const c of [...text, '\r']) {
      const k = c === '\r' ? 0xff0d : c.charCodeAt(0);
      const shift = '~!@#$%^&*()_+{}|:"<>?'.includes(c) || /[A-Z]/.test(c);
      if (shift) key(0xffe1, 1);
      key(k, 1);
      key(k, 0);
      if (shift) key(0xffe1, 0);
    }
  }
}
