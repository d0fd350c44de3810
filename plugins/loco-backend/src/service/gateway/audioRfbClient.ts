import type { Duplex } from 'node:stream';
import { VNC_AUDIO_FORMAT } from '@loco-portal/plugin-loco-common';

/**
 * QEMU's audio extension of RFB (QEMU ui/vnc.c; RFB community spec, "QEMU
 * Audio Client/Server Message"): pseudo-encoding -259 in SetEncodings, then
 * client message 255/1 with operation 2 (set format) before 0 (enable). The
 * server answers 255/1 with 1 (begin), 2 (data: u32 length + PCM), 0 (end).
 */
const AUDIO_ENCODING = -259;
const QEMU_MESSAGE = 255;
const QEMU_AUDIO = 1;
const AUDIO_OP = { enable: 0, setFormat: 2 } as const;
const SERVER_AUDIO_OP = { end: 0, begin: 1, data: 2 } as const;
/** QEMU's sample format codes; S16 is the one {@link VNC_AUDIO_FORMAT} names. */
const FORMAT_S16 = 3;
const SECURITY_NONE = 1;
/** A guest cannot make QEMU send more than this in one data message; a bigger one is corrupt. */
const MAX_AUDIO_CHUNK = 1 << 20;

export interface AudioClientEvents {
  /** Interleaved PCM in {@link VNC_AUDIO_FORMAT}, as QEMU sent it. */
  onPcm(pcm: Buffer): void;
  /** The connection ended or the server spoke outside the protocol. */
  onEnd(reason: string): void;
}

/**
 * An audio-only RFB client on one QEMU VNC connection: shared, so the
 * viewers' sessions stay; it never asks for framebuffer updates, so QEMU
 * sends it nothing but audio (and the -259 acknowledgement). It keeps reading
 * at all times: a client that stops reading gets QEMU's backlog later.
 */
export class QemuAudioClient {
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;
  private step: () => boolean = () => this.version();
  private ended = false;

  constructor(
    private readonly socket: Duplex,
    private readonly events: AudioClientEvents,
  ) {
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', error => this.end(`VNC connection failed: ${error}`));
    socket.on('close', () => this.end('VNC connection closed'));
  }

  close() {
    this.end('closed');
    this.socket.destroy();
  }

  private end(reason: string) {
    if (this.ended) return;
    this.ended = true;
    this.socket.destroy();
    this.events.onEnd(reason);
  }

  private receive(chunk: Buffer) {
    this.buffered.push(chunk);
    this.bufferedBytes += chunk.length;
    try {
      while (!this.ended && this.step()) {
        // each step consumed one unit; go on while whole units are buffered
      }
    } catch (error) {
      this.end(`VNC protocol error: ${(error as Error).message}`);
    }
  }

  /** The next n bytes if all are buffered (consumed), else undefined. */
  private take(n: number): Buffer | undefined {
    if (this.bufferedBytes < n) return undefined;
    const all =
      this.buffered.length === 1
        ? this.buffered[0]
        : Buffer.concat(this.buffered);
    this.buffered = all.length > n ? [all.subarray(n)] : [];
    this.bufferedBytes -= n;
    return all.subarray(0, n);
  }

  /** Looks at the next n bytes without consuming them. */
  private peek(n: number): Buffer | undefined {
    if (this.bufferedBytes < n) return undefined;
    if (this.buffered.length > 1)
      this.buffered = [Buffer.concat(this.buffered)];
    return this.buffered[0].subarray(0, n);
  }

  private version(): boolean {
    const greeting = this.take(12);
    if (!greeting) return false;
    if (!greeting.toString('latin1').startsWith('RFB 003.')) {
      throw new Error('not an RFB server');
    }
    this.socket.write('RFB 003.008\n');
    this.step = () => this.securityTypes();
    return true;
  }

  private securityTypes(): boolean {
    const head = this.peek(1);
    if (!head) return false;
    const types = this.take(1 + head[0]);
    if (!types) return false;
    if (head[0] === 0) throw new Error('the server refused the connection');
    if (!types.subarray(1).includes(SECURITY_NONE)) {
      throw new Error('the VNC server wants authentication');
    }
    this.socket.write(Buffer.from([SECURITY_NONE]));
    this.step = () => this.securityResult();
    return true;
  }

  private securityResult(): boolean {
    const result = this.take(4);
    if (!result) return false;
    if (result.readUInt32BE(0) !== 0)
      throw new Error('security handshake failed');
    this.socket.write(Buffer.from([1])); // ClientInit: shared
    this.step = () => this.serverInit();
    return true;
  }

  private serverInit(): boolean {
    const head = this.peek(24);
    if (!head) return false;
    if (!this.take(24 + head.readUInt32BE(20))) return false;
    this.bytesPerPixel = head[4] / 8;
    this.socket.write(enableAudioMessages());
    this.step = () => this.message();
    return true;
  }

  private bytesPerPixel = 4;

  private message(): boolean {
    const type = this.peek(1)?.[0];
    switch (type) {
      case undefined:
        return false;
      case 0:
        return this.framebufferUpdate();
      case 1: {
        const head = this.peek(6);
        return Boolean(head && this.take(6 + 6 * head.readUInt16BE(4)));
      }
      case 2:
        return Boolean(this.take(1));
      case 3: {
        const head = this.peek(8);
        return Boolean(head && this.take(8 + head.readUInt32BE(4)));
      }
      case QEMU_MESSAGE:
        return this.qemuMessage();
      default:
        throw new Error(`unexpected server message ${type}`);
    }
  }

  /** Only the -259 acknowledgement is expected (no updates are requested); raw rectangles are skipped. */
  private framebufferUpdate(): boolean {
    const head = this.peek(4);
    if (!head) return false;
    const count = head.readUInt16BE(2);
    let length = 4;
    for (let i = 0; i < count; i++) {
      const all = this.peek(length + 12);
      if (!all) return false;
      const rect = all.subarray(length);
      const encoding = rect.readInt32BE(8);
      length += 12;
      if (encoding === 0) {
        length +=
          rect.readUInt16BE(4) * rect.readUInt16BE(6) * this.bytesPerPixel;
      } else if (encoding >= 0) {
        throw new Error(`unexpected rectangle encoding ${encoding}`);
      }
    }
    return Boolean(this.take(length));
  }

  private qemuMessage(): boolean {
    const head = this.peek(4);
    if (!head) return false;
    if (head[1] !== QEMU_AUDIO) {
      throw new Error(`unexpected QEMU submessage ${head[1]}`);
    }
    const operation = head.readUInt16BE(2);
    if (operation !== SERVER_AUDIO_OP.data) {
      if (
        operation !== SERVER_AUDIO_OP.begin &&
        operation !== SERVER_AUDIO_OP.end
      )
        throw new Error(`unexpected audio operation ${operation}`);
      return Boolean(this.take(4));
    }
    const sized = this.peek(8);
    if (!sized) return false;
    const length = sized.readUInt32BE(4);
    if (length > MAX_AUDIO_CHUNK)
      throw new Error(`audio chunk of ${length} bytes`);
    const message = this.take(8 + length);
    if (!message) return false;
    // A copy: the slice would pin the whole received chunk while listeners send it.
    if (length > 0) this.events.onPcm(Buffer.from(message.subarray(8)));
    return true;
  }
}

/** SetEncodings [-259], set-format, enable — the format before enable, as QEMU needs. */
function enableAudioMessages(): Buffer {
  const setEncodings = Buffer.alloc(8);
  setEncodings.writeUInt8(2, 0);
  setEncodings.writeUInt16BE(1, 2);
  setEncodings.writeInt32BE(AUDIO_ENCODING, 4);
  const setFormat = Buffer.alloc(10);
  setFormat.writeUInt8(QEMU_MESSAGE, 0);
  setFormat.writeUInt8(QEMU_AUDIO, 1);
  setFormat.writeUInt16BE(AUDIO_OP.setFormat, 2);
  setFormat.writeUInt8(FORMAT_S16, 4);
  setFormat.writeUInt8(VNC_AUDIO_FORMAT.channels, 5);
  setFormat.writeUInt32BE(VNC_AUDIO_FORMAT.sampleRate, 6);
  const enable = Buffer.from([QEMU_MESSAGE, QEMU_AUDIO, 0, AUDIO_OP.enable]);
  return Buffer.concat([setEncodings, setFormat, enable]);
}
