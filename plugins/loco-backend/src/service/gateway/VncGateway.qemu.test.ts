import * as msg from './__testUtils__/rfbClientMessages';
import type { RfbTestClient } from './__testUtils__/RfbTestClient';
import {
  PLAYER,
  qemuGatewayBed,
  until,
  VIEWER,
} from './__testUtils__/qemuGatewayBed';

jest.setTimeout(240_000);

/** "echo hi" + Return as key presses, in both RFB key event forms. */
function typing(): Buffer[] {
  const keysyms = [...'echo hi'].map(c => c.charCodeAt(0)).concat(0xff0d);
  return keysyms
    .flatMap(k => [msg.keyEvent(true, k), msg.keyEvent(false, k)])
    .concat(
      // QEMU extended key event: 'x' by scancode 0x2d, then Return 0x1c.
      msg.qemuExtendedKey(true, 0x78, 0x2d),
      msg.qemuExtendedKey(false, 0x78, 0x2d),
      msg.qemuExtendedKey(true, 0xff0d, 0x1c),
      msg.qemuExtendedKey(false, 0xff0d, 0x1c),
      msg.pointerEvent(1, 100, 300),
      msg.pointerEvent(0, 100, 300),
    );
}

/** Reads one FramebufferUpdate of raw 32-bit rectangles (QEMU's default without SetEncodings). */
async function readUpdate(client: RfbTestClient) {
  const head = await client.read(4);
  expect(head[0]).toBe(0);
  for (let i = head.readUInt16BE(2); i > 0; i--) {
    const rect = await client.read(12);
    await client.read(rect.readUInt16BE(4) * rect.readUInt16BE(6) * 4);
  }
}

describe('VncGateway on a real QEMU', () => {
  const bed = qemuGatewayBed('gw-test');

  it("does not change the guest's screen when a view-only viewer types, and does for a player", async () => {
    // Booted to the shell prompt: header drawn, the shell area unchanged for 3 s.
    const settled = await bed.settledShell(180_000);

    // Screens through the native relay, as in production.
    const viewer = await bed.open(VIEWER, true);
    await viewer.handshake();
    for (const m of typing()) viewer.send(m);
    // QEMU handles messages in order: once this update arrives, any key before it was injected.
    viewer.send(msg.framebufferUpdateRequest(0, 16, 16));
    await readUpdate(viewer);
    // Give the guest the time it needs to echo a key (the player below shows it does), and check nothing moved.
    for (let i = 0; i < 12; i++) {
      await new Promise(r => setTimeout(r, 250));
      expect(await bed.shellArea()).toBe(settled);
    }
    await viewer.close();

    const player = await bed.open(PLAYER, true);
    await player.handshake();
    for (const m of typing()) player.send(m);
    const changed = await until(async () => {
      const now = await bed.shellArea();
      return now !== settled ? now : undefined;
    }, 60_000);
    expect(changed).not.toBe(settled);
    await player.close();
  });
});
