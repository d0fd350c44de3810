import { MAX_CUT_TEXT_BYTES } from './RfbClientFilter';
import type { RfbTestClient } from './__testUtils__/RfbTestClient';
import {
  gatewayTestBed,
  PLAYER,
  RELAYS,
  VIEWER,
  waitFor,
} from './__testUtils__/gatewayTestBed';
import * as msg from './__testUtils__/rfbClientMessages';
import { bytewiseFrames } from './__testUtils__/wsFrames';
import { CpuStallMonitor } from './__testUtils__/cpuStall';

jest.setTimeout(120_000);

/**
 * The most CPU time the event loop may spend without a timer turn while a
 * viewer trickles a message in. Re-copying the buffered bytes per frame
 * stalled it 4.5 s for 128 KiB and takes minutes for 1 MiB; handling frames in
 * linear time stays far below. Generous on purpose: it asserts the behaviour,
 * not a speed goal. CPU time, not wall time, so a busy machine that
 * deschedules the test process does not count as the gateway's stall; still,
 * one turn of ~9,000 frames took 270 ms of CPU beside a full CI run (caches
 * and cores shared), so the bound is 1 s: quadratic buffering exceeds it
 * within the first ~120 KiB of the 1 MiB message.
 */
const MAX_STALL_MS = 1000;

/** A clipboard message of `size` bytes of text, deterministic content. */
function clipboard(size: number): Buffer {
  const text = Buffer.alloc(size);
  for (let i = 0; i < text.length; i++) text[i] = 0x41 + (i % 26);
  return Buffer.concat([msg.cutTextHeader(text.length), text]);
}

/**
 * Sends `message` one byte per WebSocket frame, 64 KiB of frames (~9000) per
 * turn of the event loop, as a remote viewer's trickle arrives. (Faster, the
 * kernel piles up megabytes that libuv then reads in one turn: a stall per
 * frame, the same for any small message, not per buffered byte.) Stops at
 * the first stall above the limit: quadratic buffering would go on for minutes.
 */
async function trickle(
  client: RfbTestClient,
  message: Buffer,
  stall?: CpuStallMonitor,
) {
  const frames = bytewiseFrames(message);
  for (let at = 0; at < frames.length; at += 64 * 1024) {
    await client.writeFrames(frames.subarray(at, at + 64 * 1024));
    await new Promise(resolve => setImmediate(resolve));
    const stallMs = stall?.maxMs ?? 0;
    if (stallMs > MAX_STALL_MS)
      throw new Error(`event loop stalled ${stallMs} ms at frame ${at / 7}`);
  }
}

// A viewer sending one byte per WebSocket frame must not stall the gateway
// (and with it every other viewer and the whole backend).
describe.each(RELAYS)(
  'VncGateway with a viewer sending one byte per frame, screens through %s',
  (_, zeroCopy) => {
    const bed = gatewayTestBed();

    it.each([
      ['a view-only viewer', VIEWER, 0],
      ['a player', PLAYER, 2],
    ])(
      'keeps the event loop responsive while %s sends a 1 MiB clipboard one byte per frame',
      async (_who, user, delivered) => {
        await bed.start({ zeroCopy });
        const client = await bed.open(user);
        await client.handshake();
        // Unmeasured: the first frames run before the JIT compiles ws and the filter.
        const warmUp = clipboard(128 * 1024);
        await trickle(client, warmUp);
        const message = clipboard(MAX_CUT_TEXT_BYTES);
        const stall = new CpuStallMonitor().start();
        await trickle(client, message, stall);
        await client.roundTrip(); // after the clipboard: it was all read
        expect(stall.stop()).toBeLessThan(MAX_STALL_MS);
        // A player's clipboards arrive whole; a viewer's never do.
        const received = bed.rfb.connections[0].messages;
        await waitFor(() => received.length === delivered + 1);
        expect(received.map(m => m.type)).toEqual([
          ...Array(delivered).fill(6),
          3,
        ]);
        const clipboards = [warmUp, message].slice(0, delivered);
        expect(
          received.every(
            (m, i) => m.type !== 6 || m.bytes.equals(clipboards[i]),
          ),
        ).toBe(true);
        await client.close();
      },
    );
  },
);

describe.each(RELAYS)(
  'VncGateway under a flood of tiny frames, screens through %s',
  (_, zeroCopy) => {
    const bed = gatewayTestBed();

    it('yields the event loop while megabytes of one-byte frames arrive at once', async () => {
      await bed.start({ zeroCopy });
      const client = await bed.open(VIEWER);
      await client.handshake();
      // 300,000 pointer-event bytes as one-byte frames (2.1 MB on the wire),
      // written in one go: the kernel hands libuv as much as it can per turn.
      const flood = bytewiseFrames(
        Buffer.concat(
          Array.from({ length: 50_000 }, () => msg.pointerEvent(1, 5, 5)),
        ),
      );
      await trickle(client, clipboard(16 * 1024)); // warm up ws and the filter
      const stall = new CpuStallMonitor().start();
      await client.writeFrames(flood);
      await client.roundTrip(); // after the flood: it was all read
      expect(stall.stop()).toBeLessThan(MAX_STALL_MS);
      await client.close();
    });
  },
);
