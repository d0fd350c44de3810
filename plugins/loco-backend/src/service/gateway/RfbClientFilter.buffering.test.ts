import {
  MAX_CUT_TEXT_BYTES,
  RfbClientFilter,
  RfbProtocolError,
  type RfbClientFilterOptions,
} from './RfbClientFilter';
import * as msg from './__testUtils__/rfbClientMessages';

const HANDSHAKE = Buffer.concat([
  msg.version(),
  msg.securityNone(),
  msg.clientInit(0),
]);

function filterAfterHandshake(options: RfbClientFilterOptions) {
  const filter = new RfbClientFilter(options);
  filter.push(Buffer.from(HANDSHAKE));
  return filter;
}

/** A clipboard message of `size` bytes of text, deterministic content. */
function clipboard(size: number): Buffer {
  const text = Buffer.alloc(size);
  for (let i = 0; i < size; i++) text[i] = 0x20 + ((i * 7) % 95);
  return Buffer.concat([msg.cutTextHeader(size), text]);
}

/**
 * Pushes `message` one byte per push, as a viewer sending one byte per
 * WebSocket frame; returns what was forwarded and the most bytes the filter
 * held. Quadratic buffering takes minutes for 1 MiB: stop it at 20 s (linear
 * takes well under a second) instead of waiting.
 */
function pushBytewise(filter: RfbClientFilter, message: Buffer) {
  const out: Buffer[] = [];
  let mostHeld = 0;
  const giveUpAt = Date.now() + 20_000;
  for (let i = 0; i < message.length; i++) {
    out.push(...filter.push(message.subarray(i, i + 1)));
    mostHeld = Math.max(mostHeld, filter.pendingBytes);
    if ((i & 0xfff) === 0 && Date.now() > giveUpAt)
      throw new Error(`only ${i} of ${message.length} bytes pushed in 20 s`);
  }
  return { out: Buffer.concat(out), mostHeld };
}

describe('RfbClientFilter buffering of split messages', () => {
  it.each([
    ['128 KiB', 128 * 1024],
    ['1 MiB', MAX_CUT_TEXT_BYTES],
  ])(
    "forwards a player's %s clipboard sent one byte per frame whole and once",
    (_size, size) => {
      const filter = filterAfterHandshake({ allowInput: true });
      const stream = Buffer.concat([clipboard(size), msg.keyEvent(true, 0x61)]);
      const { out } = pushBytewise(filter, stream);
      // (Buffer.equals: jest's toEqual walks a megabyte byte by byte, slowly.)
      expect(out.length).toBe(stream.length);
      expect(out.equals(stream)).toBe(true);
      // Three handshake steps, the clipboard, the key.
      expect(filter.forwardedMessages).toBe(5);
      expect(filter.pendingBytes).toBe(0);
    },
  );

  it.each([
    ['128 KiB', 128 * 1024],
    ['1 MiB', MAX_CUT_TEXT_BYTES],
  ])(
    "drops a viewer's %s clipboard sent one byte per frame without holding it",
    (_size, size) => {
      const dropped: string[] = [];
      const filter = filterAfterHandshake({
        allowInput: false,
        onDropped: t => dropped.push(t),
      });
      const { out, mostHeld } = pushBytewise(filter, clipboard(size));
      expect(out).toEqual(Buffer.alloc(0));
      const after = filter.push(msg.framebufferUpdateRequest());
      expect(after).toEqual([msg.framebufferUpdateRequest()]);
      expect(dropped).toEqual(['ClientCutText']);
      // Only the header waits (7 bytes); the text is skipped as it comes.
      expect(mostHeld).toBeLessThan(8);
    },
  );

  it('holds no more of a split message than has arrived', () => {
    const filter = filterAfterHandshake({ allowInput: true });
    const message = clipboard(MAX_CUT_TEXT_BYTES);
    filter.push(message.subarray(0, 100));
    expect(filter.pendingBytes).toBe(100);
    filter.push(message.subarray(100, 70_000));
    expect(filter.pendingBytes).toBe(70_000);
    const out = filter.push(message.subarray(70_000));
    expect(Buffer.concat(out).equals(message)).toBe(true);
    expect(filter.pendingBytes).toBe(0);
  });

  it('refuses a message longer than maxMessageBytes from its header, before its body arrives', () => {
    const filter = filterAfterHandshake({
      allowInput: true,
      maxMessageBytes: 1000,
    });
    const within = msg.setEncodings(Array.from({ length: 249 }, () => 0)); // 1000 bytes
    expect(Buffer.concat(filter.push(within))).toEqual(within);
    const beyond = msg.setEncodings(Array.from({ length: 250 }, () => 0)); // 1004 bytes
    expect(() => filter.push(beyond.subarray(0, 4))).toThrow(
      /1004 bytes exceeds 1000/,
    );
  });

  it('refuses, by default, nothing QEMU takes and everything above its 1 MiB clipboard', () => {
    const filter = filterAfterHandshake({ allowInput: true });
    expect(filter.push(clipboard(MAX_CUT_TEXT_BYTES)).length).toBeGreaterThan(
      0,
    );
    expect(() =>
      filter.push(msg.cutTextHeader(MAX_CUT_TEXT_BYTES + 1)),
    ).toThrow(RfbProtocolError);
  });

  describe('time limit of a pending message', () => {
    let clock = 0;
    const now = () => clock;
    beforeEach(() => {
      clock = 1_000_000;
    });

    it('ends a viewer that stalls mid-message, from the session timer and from its next push', () => {
      const filter = filterAfterHandshake({ allowInput: false, now });
      const message = clipboard(1000);
      filter.push(message.subarray(0, 500));
      clock += 10_000;
      expect(() => filter.checkPendingDeadline()).not.toThrow();
      expect(() => filter.checkPendingDeadline(clock + 1)).toThrow(
        RfbProtocolError,
      );
      clock += 1;
      expect(() => filter.checkPendingDeadline()).toThrow(/more than 10000 ms/);
      expect(() => filter.push(message.subarray(500))).toThrow(
        RfbProtocolError,
      );
    });

    it('counts from the first byte of each message, including a header cut short', () => {
      const filter = filterAfterHandshake({
        allowInput: true,
        now,
        maxPendingMs: 100,
      });
      const a = clipboard(10);
      filter.push(a.subarray(0, 3)); // header only
      clock += 60;
      filter.push(a.subarray(3, 12));
      clock += 40;
      // Completes message a at 100 ms, and starts b.
      const b = msg.keyEvent(true, 0x62);
      filter.push(Buffer.concat([a.subarray(12), b.subarray(0, 4)]));
      clock += 100;
      expect(() => filter.checkPendingDeadline()).not.toThrow();
      clock += 1;
      expect(() => filter.checkPendingDeadline()).toThrow(RfbProtocolError);
    });

    it('leaves a viewer alone that pauses between messages, however long', () => {
      const filter = filterAfterHandshake({ allowInput: true, now });
      filter.push(clipboard(10));
      clock += 3_600_000;
      expect(() => filter.checkPendingDeadline()).not.toThrow();
      expect(filter.push(msg.keyEvent(true, 0x61))).toHaveLength(1);
    });
  });
});
