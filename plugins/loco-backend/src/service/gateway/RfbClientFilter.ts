/**
 * Parser and filter of the client-to-server half of an RFB (VNC) stream.
 *
 * The gateway cannot trust a browser's `viewOnly` flag, so it reads every byte
 * a viewer sends, message by message, and forwards only what the session may
 * send. Lengths follow RFC 6143 and QEMU 7.2's `protocol_client_msg`
 * (ui/vnc.c): a message of unknown type has no knowable length, so it ends the
 * session instead of being guessed at. Messages are forwarded as zero-copy
 * slices of the received buffers.
 */

/** A stream that breaks the protocol; closes that one session. */
export class RfbProtocolError extends Error {
  override name = 'RfbProtocolError';
}

/** QEMU refuses clipboard payloads above 1 MiB; so do we, before buffering them. */
export const MAX_CUT_TEXT_BYTES = 1 << 20;

export type RfbInputType =
  | 'KeyEvent'
  | 'PointerEvent'
  | 'ClientCutText'
  | 'QemuExtendedKeyEvent'
  | 'Xvp'
  | 'SetDesktopSize';

export interface RfbClientFilterOptions {
  /** False for view-only sessions: every input message is dropped here. */
  allowInput: boolean;
  /** Called once per dropped message. */
  onDropped?: (type: RfbInputType) => void;
}

type State = 'version' | 'security' | 'vncAuth' | 'clientInit' | 'messages';

/** Length of a message whose header is (partly) in `buf` at `off`, or -1 if more header bytes are needed. */
type Measured = { length: number; input?: RfbInputType } | undefined;

const SECURITY_NONE = 1;
const SECURITY_VNC_AUTH = 2;
const VNC_AUTH_RESPONSE_BYTES = 16;

export class RfbClientFilter {
  private state: State = 'version';
  private pending: Buffer | undefined;
  /** Messages forwarded/dropped so far (tests and logs). */
  forwardedMessages = 0;
  droppedMessages = 0;

  constructor(private readonly options: RfbClientFilterOptions) {}

  /**
   * Feeds bytes received from the client; returns the slices to forward to the
   * server, in order. Throws {@link RfbProtocolError} on a malformed stream.
   * May modify `chunk` in place (the ClientInit shared flag).
   */
  push(chunk: Buffer): Buffer[] {
    let buf = chunk;
    if (this.pending) {
      buf = Buffer.concat([this.pending, chunk]);
      this.pending = undefined;
    }
    const out: Buffer[] = [];
    let runStart = 0;
    let off = 0;
    while (off < buf.length) {
      const m = this.measure(buf, off);
      if (!m || buf.length - off < m.length) break;
      if (m.input && !this.options.allowInput) {
        if (off > runStart) out.push(buf.subarray(runStart, off));
        runStart = off + m.length;
        this.droppedMessages++;
        this.options.onDropped?.(m.input);
      } else {
        this.forwardedMessages++;
      }
      off += m.length;
    }
    if (off > runStart) out.push(buf.subarray(runStart, off));
    // Copy the partial tail so a large chunk is not kept alive by a few bytes.
    if (off < buf.length) this.pending = Buffer.from(buf.subarray(off));
    return out;
  }

  /** True once the handshake is over and normal messages flow. */
  get inMessages(): boolean {
    return this.state === 'messages';
  }

  private measure(buf: Buffer, off: number): Measured {
    const avail = buf.length - off;
    switch (this.state) {
      case 'version': {
        if (avail < 12) return undefined;
        const version = buf.toString('latin1', off, off + 12);
        // 3.3 lets the server pick the security type unseen by us, so only the
        // versions where the client names it are accepted (QEMU speaks 3.8).
        if (version !== 'RFB 003.008\n' && version !== 'RFB 003.007\n') {
          throw new RfbProtocolError(
            `unsupported RFB version ${JSON.stringify(version)}`,
          );
        }
        this.state = 'security';
        return { length: 12 };
      }
      case 'security': {
        const type = buf[off];
        // Other types (VeNCrypt, TLS, SASL...) encrypt or extend the stream
        // beyond what this filter can read, and would bypass view-only.
        if (type === SECURITY_NONE) this.state = 'clientInit';
        else if (type === SECURITY_VNC_AUTH) this.state = 'vncAuth';
        else
          throw new RfbProtocolError(
            `security type ${type} cannot be filtered`,
          );
        return { length: 1 };
      }
      case 'vncAuth':
        if (avail < VNC_AUTH_RESPONSE_BYTES) return undefined;
        this.state = 'clientInit';
        return { length: VNC_AUTH_RESPONSE_BYTES };
      case 'clientInit':
        // shared-flag = 1: with 0 QEMU would disconnect every other viewer.
        buf[off] = 1;
        this.state = 'messages';
        return { length: 1 };
      default:
        return measureMessage(buf, off, avail);
    }
  }
}

/** One client-to-server message after the handshake. */
function measureMessage(buf: Buffer, off: number, avail: number): Measured {
  const type = buf[off];
  switch (type) {
    case 0: // SetPixelFormat: type, 3 padding, 16-byte PIXEL_FORMAT
      if (avail < 5) return undefined;
      if (![8, 16, 32].includes(buf[off + 4])) {
        throw new RfbProtocolError(
          `SetPixelFormat with ${buf[off + 4]} bits per pixel`,
        );
      }
      return { length: 20 };
    case 2: // SetEncodings: type, padding, u16 count, count x s32
      if (avail < 4) return undefined;
      return { length: 4 + 4 * buf.readUInt16BE(off + 2) };
    case 3: // FramebufferUpdateRequest: type, incremental, x, y, w, h
      return { length: 10 };
    case 4: // KeyEvent: type, down, 2 padding, u32 keysym
      return { length: 8, input: 'KeyEvent' };
    case 5: // PointerEvent: type, buttons, u16 x, u16 y
      return { length: 6, input: 'PointerEvent' };
    case 6: {
      // ClientCutText: type, 3 padding, s32 length (negative: extended clipboard)
      if (avail < 8) return undefined;
      const length = buf.readInt32BE(off + 4);
      const size = Math.abs(length);
      if (size > MAX_CUT_TEXT_BYTES) {
        throw new RfbProtocolError(
          `ClientCutText of ${size} bytes exceeds ${MAX_CUT_TEXT_BYTES}`,
        );
      }
      if (length < 0 && size < 4) {
        throw new RfbProtocolError(
          'extended ClientCutText without its 4-byte flags',
        );
      }
      return { length: 8 + size, input: 'ClientCutText' };
    }
    case 150: // EnableContinuousUpdates: type, enable, x, y, w, h
      return { length: 10 };
    case 248: {
      // ClientFence: type, 3 padding, u32 flags, u8 length, payload (max 64)
      if (avail < 9) return undefined;
      const size = buf[off + 8];
      if (size > 64)
        throw new RfbProtocolError(`Fence payload of ${size} bytes`);
      return { length: 9 + size };
    }
    case 250: // xvp: type, padding, version, action (shutdown/reboot/reset: control)
      return { length: 4, input: 'Xvp' };
    case 251: // SetDesktopSize: type, padding, w, h, u8 screens, padding, screens x 16
      if (avail < 8) return undefined;
      return { length: 8 + 16 * buf[off + 6], input: 'SetDesktopSize' };
    case 255:
      return measureQemuMessage(buf, off, avail);
    default:
      throw new RfbProtocolError(`unknown client message type ${type}`);
  }
}

/** QEMU client messages (type 255), by sub-type. */
function measureQemuMessage(buf: Buffer, off: number, avail: number): Measured {
  if (avail < 2) return undefined;
  const subtype = buf[off + 1];
  if (subtype === 0) {
    // Extended key event: 255, 0, u16 down, u32 keysym, u32 keycode
    return { length: 12, input: 'QemuExtendedKeyEvent' };
  }
  if (subtype === 1) {
    // Audio: 255, 1, u16 operation; set-format adds u8 format, u8 channels, u32 rate.
    // Listening is not input, so audio passes for viewers too.
    if (avail < 4) return undefined;
    const operation = buf.readUInt16BE(off + 2);
    if (operation === 0 || operation === 1) return { length: 4 };
    if (operation === 2) return { length: 10 };
    throw new RfbProtocolError(`unknown QEMU audio operation ${operation}`);
  }
  throw new RfbProtocolError(`unknown QEMU client message ${subtype}`);
}
