import * as msg from './rfbClientMessages';

/**
 * Random well-formed client messages of every kind QEMU 7.2 takes, input and
 * not: a control session's filter forwards them all. The extended clipboard
 * comes only while the last SetEncodings enabled it, as QEMU requires.
 */
export function randomMessages(count: number, seed: number): Buffer[] {
  let s = seed;
  const rand = (n: number) => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s % n;
  };
  let extendedClipboard = false;
  const setEncodings = () => {
    const encodings = Array.from({ length: rand(8) }, () => rand(600) - 300);
    extendedClipboard = rand(2) === 1;
    if (extendedClipboard) encodings.push(msg.EXTENDED_CLIPBOARD);
    return msg.setEncodings(encodings);
  };
  const builders = [
    () => msg.setPixelFormat([8, 16, 32][rand(3)]),
    setEncodings,
    () => msg.framebufferUpdateRequest(rand(2), rand(800), rand(600)),
    () => msg.keyEvent(rand(2) === 1, rand(0xffff)),
    () => msg.pointerEvent(rand(256), rand(800), rand(600)),
    () => msg.cutText('x'.repeat(rand(300))),
    () =>
      extendedClipboard
        ? msg.extendedCutText(rand(2 ** 31), Buffer.alloc(rand(40), 1))
        : msg.cutText('y'.repeat(rand(40))),
    () => msg.qemuExtendedKey(rand(2) === 1, rand(0xffff), rand(0x200)),
    () =>
      [msg.qemuAudioEnable, msg.qemuAudioDisable, msg.qemuAudioFormat][
        rand(3)
      ](),
    () => msg.setDesktopSize(rand(2000), rand(2000)),
  ];
  return Array.from({ length: count }, () => builders[rand(builders.length)]());
}

/** Splits a stream at random points, as TCP and WebSocket framing may. */
export function randomChunks(stream: Buffer, seed: number): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  let s = seed;
  while (at < stream.length) {
    s = (s * 48271) % 2147483647;
    const size = 1 + (s % 97);
    out.push(stream.subarray(at, at + size));
    at += size;
  }
  return out;
}
