/**
 * Builders of RFB client-to-server messages for tests (RFC 6143 and QEMU's
 * extensions), byte for byte as a real viewer sends them.
 */
const u16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
};
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};
const s32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};

export const version = () => Buffer.from('RFB 003.008\n');
export const securityNone = () => Buffer.from([1]);
export const clientInit = (shared: number) => Buffer.from([shared]);

export const setPixelFormat = (bpp = 32) =>
  Buffer.concat([
    Buffer.from([0, 0, 0, 0, bpp, 24, 0, 1]),
    u16(255),
    u16(255),
    u16(255),
    Buffer.from([16, 8, 0, 0, 0, 0]),
  ]);
export const setEncodings = (encodings: number[]) =>
  Buffer.concat([
    Buffer.from([2, 0]),
    u16(encodings.length),
    ...encodings.map(s32),
  ]);
export const framebufferUpdateRequest = (incremental = 1, w = 640, h = 480) =>
  Buffer.concat([
    Buffer.from([3, incremental]),
    u16(0),
    u16(0),
    u16(w),
    u16(h),
  ]);
export const keyEvent = (down: boolean, keysym: number) =>
  Buffer.concat([Buffer.from([4, down ? 1 : 0, 0, 0]), u32(keysym)]);
export const pointerEvent = (buttons: number, x: number, y: number) =>
  Buffer.concat([Buffer.from([5, buttons]), u16(x), u16(y)]);
export const cutTextHeader = (length: number) =>
  Buffer.concat([Buffer.from([6, 0, 0, 0]), s32(length)]);
export const cutText = (text: string) => {
  const body = Buffer.from(text, 'latin1');
  return Buffer.concat([cutTextHeader(body.length), body]);
};
/** Extended clipboard (negative length): flags + payload. */
export const extendedCutText = (flags: number, payload: Buffer) =>
  Buffer.concat([cutTextHeader(-(4 + payload.length)), u32(flags), payload]);
export const qemuExtendedKey = (
  down: boolean,
  keysym: number,
  keycode: number,
) =>
  Buffer.concat([
    Buffer.from([255, 0]),
    u16(down ? 1 : 0),
    u32(keysym),
    u32(keycode),
  ]);
export const qemuAudioEnable = () => Buffer.from([255, 1, 0, 0]);
export const qemuAudioDisable = () => Buffer.from([255, 1, 0, 1]);
/** Audio set-format: S16 (3), stereo, 44.1 kHz unless told. */
export const qemuAudioFormat = (format = 3, channels = 2, rate = 44100) =>
  Buffer.concat([Buffer.from([255, 1, 0, 2, format, channels]), u32(rate)]);
export const enableContinuousUpdates = () =>
  Buffer.concat([Buffer.from([150, 1]), u16(0), u16(0), u16(640), u16(480)]);
export const fence = (payload: Buffer) =>
  Buffer.concat([
    Buffer.from([248, 0, 0, 0]),
    u32(0),
    Buffer.from([payload.length]),
    payload,
  ]);
export const xvp = (action: number) => Buffer.from([250, 0, 1, action]);
export const setDesktopSize = (w: number, h: number) =>
  Buffer.concat([
    Buffer.from([251, 0]),
    u16(w),
    u16(h),
    Buffer.from([1, 0]),
    u32(0),
    u16(0),
    u16(0),
    u16(w),
    u16(h),
    u32(0),
  ]);

/** Pseudo-encoding 0xc0a1e5ce: the viewer speaks the extended clipboard. */
export const EXTENDED_CLIPBOARD = -1063131698;
/** Pseudo-encoding -258: QEMU answers it with a FramebufferUpdate of one rectangle of that encoding. */
export const EXT_KEY_EVENT = -258;

const INPUT_TYPES = new Set([4, 5, 6, 250, 251]);
/** Whether a built message is input (what a view-only session must never deliver). */
export const isInput = (m: Buffer) =>
  INPUT_TYPES.has(m[0]) || (m[0] === 255 && m[1] === 0);

/**
 * One of every message type the filter knows that QEMU 7.2 takes, in an order
 * it takes them (the extended clipboard after SetEncodings enabled it), and
 * xvp, which QEMU takes only with `power-control` (loco never enables it).
 */
export const everyMessage = () => [
  setPixelFormat(),
  setEncodings([0, -223, -259, -308, EXTENDED_CLIPBOARD]),
  framebufferUpdateRequest(),
  keyEvent(true, 0x61),
  pointerEvent(1, 10, 20),
  cutText('secret'),
  extendedCutText(0x01000000, Buffer.alloc(0)),
  qemuExtendedKey(true, 0x61, 0x1e),
  qemuAudioFormat(),
  qemuAudioEnable(),
  qemuAudioDisable(),
  xvp(4),
  setDesktopSize(800, 600),
  framebufferUpdateRequest(0),
];

/** Messages of known length that QEMU 7.2 drops the connection on, whoever sends them. */
export const unsupportedByQemu = () => [
  enableContinuousUpdates(),
  fence(Buffer.from('abc')),
  // Before any SetEncodings listed EXTENDED_CLIPBOARD.
  extendedCutText(0x01000000, Buffer.alloc(0)),
];
