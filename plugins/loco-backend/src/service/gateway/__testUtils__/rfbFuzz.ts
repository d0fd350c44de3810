/**
 * Seeded random client streams for fuzzing the gateway against QEMU: valid
 * message sequences (as QEMU 7.2 takes them, plus messages it lacks that the
 * filter must swallow), mutations of them, and random WebSocket framing.
 * The same seed gives the same streams.
 */
import * as msg from './rfbClientMessages';

/** mulberry32: small, fast, and good enough to pick test cases. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  bytes(n: number): Buffer {
    return Buffer.from(Array.from({ length: n }, () => this.int(256)));
  }
}

/**
 * Encodings a viewer may ask for (raw, hextile, zlib, tight, ZRLE, ZYWRLE,
 * tight PNG, cursors, resize, LED state, audio, xvp, extended clipboard,
 * compression and quality levels, WMVi). Not -258: the sync probe's marker.
 */
const ENCODINGS = [
  0,
  1,
  5,
  6,
  7,
  16,
  17,
  -260,
  -223,
  -308,
  -239,
  -314,
  -257,
  -261,
  -259,
  -309,
  msg.EXTENDED_CLIPBOARD,
  -256,
  -250,
  -247,
  -32,
  -27,
  -23,
  0x574d5669,
];
/** Printable ASCII, Return, BackSpace, Tab, Escape, arrows: no modifiers (no Ctrl-Alt-Del). */
const KEYSYMS = [
  ...Array.from({ length: 95 }, (_, i) => 0x20 + i),
  0xff0d,
  0xff08,
  0xff09,
  0xff1b,
  0xff51,
  0xff52,
  0xff53,
  0xff54,
];
/** PC scancodes of letters, space, Return, BackSpace. */
const KEYCODES = [
  ...Array.from({ length: 10 }, (_, i) => 0x10 + i),
  ...Array.from({ length: 9 }, (_, i) => 0x1e + i),
  ...Array.from({ length: 7 }, (_, i) => 0x2c + i),
  0x39,
  0x1c,
  0x0e,
];

/**
 * `count` messages QEMU 7.2 takes in this order (the extended clipboard only
 * while enabled), and, with `unsupported`, messages of known length it
 * disconnects on (150, 248, xvp, unnegotiated extended clipboard).
 */
export function randomMessages(
  rng: Rng,
  count: number,
  unsupported: boolean,
): Buffer[] {
  let extendedClipboard = false;
  const text = (size: number) =>
    Buffer.from(Array.from({ length: size }, () => 0x20 + rng.int(95)));
  const builders: Array<[number, () => Buffer]> = [
    [2, () => pixelFormat(rng)],
    [
      3,
      () => {
        const list = Array.from({ length: rng.int(12) }, () =>
          rng.chance(0.8) ? rng.pick(ENCODINGS) : rng.int(2000) - 1000,
        );
        extendedClipboard = list.includes(msg.EXTENDED_CLIPBOARD);
        return msg.setEncodings(list);
      },
    ],
    [
      8,
      () =>
        msg.framebufferUpdateRequest(rng.int(2), rng.int(1024), rng.int(1024)),
    ],
    [16, () => msg.keyEvent(rng.chance(0.5), rng.pick(KEYSYMS))],
    [12, () => msg.pointerEvent(rng.int(256), rng.int(1024), rng.int(1024))],
    [
      4,
      () => {
        // Now and then longer than a 64 KiB block of the filter.
        const size = rng.chance(0.1) ? 60_000 + rng.int(20_000) : rng.int(300);
        const body = text(size);
        return Buffer.concat([msg.cutTextHeader(size), body]);
      },
    ],
    [
      unsupported ? 3 : 2,
      () =>
        extendedClipboard || unsupported
          ? msg.extendedCutText(rng.int(2 ** 31), rng.bytes(rng.int(64)))
          : msg.cutText('x'),
    ],
    [
      6,
      () =>
        msg.qemuExtendedKey(
          rng.chance(0.5),
          rng.pick(KEYSYMS),
          rng.pick(KEYCODES),
        ),
    ],
    [2, () => audio(rng)],
    [2, () => msg.setDesktopSize(1 + rng.int(4096), 1 + rng.int(4096))],
  ];
  if (unsupported) {
    builders.push(
      [2, () => msg.enableContinuousUpdates()],
      [2, () => msg.fence(rng.bytes(rng.int(65)))],
      [2, () => msg.xvp(rng.int(8))],
    );
  }
  const total = builders.reduce((n, [weight]) => n + weight, 0);
  return Array.from({ length: count }, () => {
    let r = rng.int(total);
    for (const [weight, build] of builders) {
      if (r < weight) return build();
      r -= weight;
    }
    throw new Error('unreachable');
  });
}

/** SetPixelFormat in a depth QEMU takes; now and then without true colour. */
function pixelFormat(rng: Rng): Buffer {
  const format = msg.setPixelFormat(rng.pick([8, 16, 32]));
  if (rng.chance(0.2)) format[7] = 0; // QEMU then uses its own 8-bit colour map
  return format;
}

/** Audio enable, disable, or a set-format QEMU takes. */
function audio(rng: Rng): Buffer {
  return rng.pick([
    () => msg.qemuAudioEnable(),
    () => msg.qemuAudioDisable(),
    () => msg.qemuAudioFormat(rng.int(6), 1 + rng.int(2), rng.int(48001)),
  ])();
}

/** Where a message's length (or sub-type) lives: the bytes a length flip aims at. */
function lengthField(m: Buffer): { at: number; bytes: number } | undefined {
  switch (m[0]) {
    case 2: // SetEncodings count
      return { at: 2, bytes: 2 };
    case 6: // ClientCutText length
      return { at: 4, bytes: 4 };
    case 248: // Fence payload length
      return { at: 8, bytes: 1 };
    case 251: // SetDesktopSize screen count
      return { at: 6, bytes: 1 };
    case 255: // QEMU sub-type, audio operation
      return { at: 1, bytes: m[1] === 1 ? 3 : 1 };
    default:
      return undefined;
  }
}

/**
 * The messages joined after one to three mutations: a message truncated, a
 * bit of its length field flipped (mostly a low bit), or a bit of its type
 * flipped. What follows shifts accordingly, as it would for a broken client.
 * Mostly one mutation, most among the last three messages, so that many
 * mutated streams stay readable and reach QEMU instead of all being refused.
 */
export function mutate(rng: Rng, messages: Buffer[]): Buffer {
  const out = messages.map(m => Buffer.from(m));
  const mutations = rng.pick([1, 1, 1, 1, 1, 1, 2, 2, 2, 3]);
  for (let n = 0; n < mutations; n++) {
    const i = rng.chance(0.6)
      ? Math.max(0, out.length - 1 - rng.int(3))
      : rng.int(out.length);
    const field = lengthField(out[i]);
    const r = rng.next();
    if (r < 0.4 || (r < 0.8 && !field)) {
      out[i] = out[i].subarray(0, rng.int(out[i].length));
    } else if (r < 0.8 && field) {
      const last = field.at + field.bytes - 1;
      const byte = rng.chance(0.7) ? last : field.at + rng.int(field.bytes);
      out[i][byte] ^= 1 << rng.int(8);
    } else {
      out[i][0] ^= 1 << rng.int(8);
    }
  }
  return Buffer.concat(out);
}

/** `stream` split into WebSocket frames of random sizes, one byte to 64 KiB. */
export function randomFrames(rng: Rng, stream: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  for (let at = 0; at < stream.length; ) {
    const r = rng.next();
    let size: number;
    if (r < 0.3) size = 1;
    else if (r < 0.7) size = 1 + rng.int(64);
    else if (r < 0.95) size = 65 + rng.int(4032);
    else size = 4097 + rng.int(61440);
    frames.push(stream.subarray(at, at + size));
    at += size;
  }
  return frames;
}

/**
 * Length of the client message at `off` as QEMU 7.2 reads it (ui/vnc.c,
 * `protocol_client_msg`); undefined while its header is short; 'unknown'
 * where QEMU knows no length. Independent of the gateway's filter.
 */
function qemuMessageLength(
  b: Buffer,
  off: number,
): number | undefined | 'unknown' {
  const avail = b.length - off;
  switch (b[off]) {
    case 0:
      return 20;
    case 2:
      return avail < 4 ? undefined : 4 + 4 * b.readUInt16BE(off + 2);
    case 3:
    case 150:
      return 10;
    case 4:
      return 8;
    case 5:
      return 6;
    case 6:
      return avail < 8 ? undefined : 8 + Math.abs(b.readInt32BE(off + 4));
    case 248:
      return avail < 9 ? undefined : 9 + b[off + 8];
    case 250:
      return 4;
    case 251:
      return avail < 8 ? undefined : 8 + 16 * b[off + 6];
    case 255:
      if (avail < 2) return undefined;
      if (b[off + 1] === 0) return 12;
      if (b[off + 1] !== 1) return 'unknown';
      if (avail < 4) return undefined;
      return b.readUInt16BE(off + 2) === 2 ? 10 : 4;
    default:
      return 'unknown';
  }
}

/** The longest message QEMU takes: 1 MiB of clipboard. */
const LONGEST = 8 + (1 << 20);

/**
 * Zero bytes that complete the stream's last message, so that whatever is
 * sent next starts a message; empty when the stream ends on a boundary.
 * Undefined when QEMU could not read the stream to its end (a type without a
 * length, a clipboard over 1 MiB): the filter must have refused it.
 */
export function completion(stream: Buffer): Buffer | undefined {
  let off = 0;
  while (off < stream.length) {
    let length = qemuMessageLength(stream, off);
    // A header cut short: zeros until its length is known.
    for (let pad = 1; length === undefined; pad++) {
      const padded = Buffer.concat([stream.subarray(off), Buffer.alloc(pad)]);
      length = qemuMessageLength(padded, 0);
    }
    if (length === 'unknown' || length > LONGEST) return undefined;
    off += length;
  }
  return Buffer.alloc(off - stream.length);
}
