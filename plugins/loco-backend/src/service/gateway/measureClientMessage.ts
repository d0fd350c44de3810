/**
 * Length and fate of one RFB client-to-server message after the handshake,
 * as QEMU 7.2 reads it.
 *
 * Source: `protocol_client_msg()` and `set_encodings()` in ui/vnc.c of QEMU
 * 7.2.0 with the 7.2.x stable patches up to 7.2.22, as packaged by Debian
 * bookworm (qemu 1:7.2+dfsg-7+deb12u18, the QEMU the emulators run; read with
 * `apt-get source qemu`). QEMU disconnects (`vnc_client_error`) on:
 * - a message type other than 0 SetPixelFormat, 2 SetEncodings,
 *   3 FramebufferUpdateRequest, 4 KeyEvent, 5 PointerEvent, 6 ClientCutText,
 *   250 xvp, 251 SetDesktopSize and 255 (QEMU); so on 150
 *   EnableContinuousUpdates and 248 ClientFence;
 * - a 255 sub-type other than 0 (extended key event) and 1 (audio), an audio
 *   operation other than 0 enable, 1 disable, 2 set-format, and a set-format
 *   with a sample format above 5, other than 1 or 2 channels, or a rate above
 *   48000;
 * - xvp unless the session has the XVP feature, which needs `power-control=on`
 *   on `-vnc`: loco never sets it (loco-node's qemuArgs.ts builds `-vnc`, and
 *   extra arguments may not replace it), so xvp always disconnects;
 * - ClientCutText over 1 MiB, and an extended one (negative length) unless
 *   the session's last SetEncodings held the extended-clipboard
 *   pseudo-encoding, or with fewer than 4 bytes;
 * - SetPixelFormat with true colour and bits per pixel other than 8, 16, 32.
 *
 * A message QEMU would disconnect on but whose length is known is
 * `unsupported`: the filter swallows it, so a hostile or careless viewer
 * cannot get its session dropped that way. A message of unknown length, or
 * one malformed for QEMU, throws {@link RfbProtocolError}.
 */

/** A stream that breaks the protocol; closes that one session. */
export class RfbProtocolError extends Error {
  override name = 'RfbProtocolError';
}

/** QEMU refuses clipboard payloads above 1 MiB; so do we, before buffering them. */
export const MAX_CUT_TEXT_BYTES = 1 << 20;
/** The longest message QEMU takes: a ClientCutText of {@link MAX_CUT_TEXT_BYTES}. */
export const MAX_MESSAGE_BYTES = 8 + MAX_CUT_TEXT_BYTES;
/** The most bytes any header needs before its message's length is known (the version string). */
export const MAX_HEADER_BYTES = 12;
/** Pseudo-encoding 0xc0a1e5ce: the viewer speaks the extended clipboard. */
export const ENCODING_EXTENDED_CLIPBOARD = 0xc0a1e5ce | 0;

export type RfbInputType =
  | 'KeyEvent'
  | 'PointerEvent'
  | 'ClientCutText'
  | 'QemuExtendedKeyEvent'
  | 'Xvp'
  | 'SetDesktopSize';

/** Messages the filter may drop, input or not. */
export type RfbMessageName =
  | RfbInputType
  | 'EnableContinuousUpdates'
  | 'ClientFence';

export interface MeasuredMessage {
  length: number;
  /** Set for input: dropped for view-only sessions. */
  input?: RfbInputType;
  /** Set when QEMU 7.2 would disconnect on it: never forwarded. */
  unsupported?: RfbMessageName;
  /** A SetEncodings: QEMU's session features follow its list. */
  setsEncodings?: true;
}

/** What QEMU knows of the session that changes how it reads a message. */
export interface QemuSessionFeatures {
  /** The last SetEncodings held {@link ENCODING_EXTENDED_CLIPBOARD}. */
  extendedClipboard: boolean;
}

/**
 * Measures the message at `off`; `avail` bytes are there. Undefined while its
 * header is incomplete. Reads only the header, never the body.
 */
export function measureClientMessage(
  buf: Buffer,
  off: number,
  avail: number,
  features: QemuSessionFeatures,
): MeasuredMessage | undefined {
  const type = buf[off];
  switch (type) {
    case 0: // SetPixelFormat: type, 3 padding, 16-byte PIXEL_FORMAT
      if (avail < 8) return undefined;
      // Without true colour QEMU picks an 8-bit colour map itself.
      if (buf[off + 7] !== 0 && ![8, 16, 32].includes(buf[off + 4])) {
        throw new RfbProtocolError(
          `SetPixelFormat with ${buf[off + 4]} bits per pixel`,
        );
      }
      return { length: 20 };
    case 2: // SetEncodings: type, padding, u16 count, count x s32
      if (avail < 4) return undefined;
      return { length: 4 + 4 * buf.readUInt16BE(off + 2), setsEncodings: true };
    case 3: // FramebufferUpdateRequest: type, incremental, x, y, w, h
      return { length: 10 };
    case 4: // KeyEvent: type, down, 2 padding, u32 keysym
      return { length: 8, input: 'KeyEvent' };
    case 5: // PointerEvent: type, buttons, u16 x, u16 y
      return { length: 6, input: 'PointerEvent' };
    case 6:
      if (avail < 8) return undefined;
      return measureCutText(buf.readInt32BE(off + 4), features);
    case 150: // EnableContinuousUpdates: type, enable, x, y, w, h
      return { length: 10, unsupported: 'EnableContinuousUpdates' };
    case 248: {
      // ClientFence: type, 3 padding, u32 flags, u8 length, payload (max 64)
      if (avail < 9) return undefined;
      const size = buf[off + 8];
      if (size > 64)
        throw new RfbProtocolError(`Fence payload of ${size} bytes`);
      return { length: 9 + size, unsupported: 'ClientFence' };
    }
    case 250: // xvp: type, padding, version, action (shutdown/reboot/reset)
      return { length: 4, input: 'Xvp', unsupported: 'Xvp' };
    case 251: // SetDesktopSize: type, padding, w, h, u8 screens, padding, screens x 16
      if (avail < 8) return undefined;
      return { length: 8 + 16 * buf[off + 6], input: 'SetDesktopSize' };
    case 255:
      return measureQemuMessage(buf, off, avail);
    default:
      throw new RfbProtocolError(`unknown client message type ${type}`);
  }
}

/** ClientCutText: type, 3 padding, s32 length (negative: extended clipboard). */
function measureCutText(
  length: number,
  features: QemuSessionFeatures,
): MeasuredMessage {
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
  const unsupported =
    length < 0 && !features.extendedClipboard ? 'ClientCutText' : undefined;
  return { length: 8 + size, input: 'ClientCutText', unsupported };
}

/** QEMU client messages (type 255), by sub-type. */
function measureQemuMessage(
  buf: Buffer,
  off: number,
  avail: number,
): MeasuredMessage | undefined {
  if (avail < 2) return undefined;
  const subtype = buf[off + 1];
  if (subtype === 0) {
    // Extended key event: 255, 0, u16 down, u32 keysym, u32 keycode
    return { length: 12, input: 'QemuExtendedKeyEvent' };
  }
  if (subtype !== 1)
    throw new RfbProtocolError(`unknown QEMU client message ${subtype}`);
  // Audio: 255, 1, u16 operation; set-format adds u8 format, u8 channels, u32 rate.
  // Listening is not input, so audio passes for viewers too.
  if (avail < 4) return undefined;
  const operation = buf.readUInt16BE(off + 2);
  if (operation === 0 || operation === 1) return { length: 4 };
  if (operation !== 2)
    throw new RfbProtocolError(`unknown QEMU audio operation ${operation}`);
  if (avail < 10) return undefined;
  const [format, channels] = [buf[off + 4], buf[off + 5]];
  const rate = buf.readUInt32BE(off + 6);
  if (format > 5 || (channels !== 1 && channels !== 2) || rate > 48000) {
    throw new RfbProtocolError(
      `QEMU audio format ${format}, ${channels} channels, ${rate} Hz`,
    );
  }
  return { length: 10 };
}

/** Whether a whole SetEncodings at `off` lists `encoding`. */
export function listsEncoding(
  buf: Buffer,
  off: number,
  encoding: number,
): boolean {
  const count = buf.readUInt16BE(off + 2);
  for (let i = 0; i < count; i++) {
    if (buf.readInt32BE(off + 4 + 4 * i) === encoding) return true;
  }
  return false;
}
