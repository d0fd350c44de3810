import * as msg from './__testUtils__/rfbClientMessages';
import { PLAYER, qemuGatewayBed, VIEWER } from './__testUtils__/qemuGatewayBed';

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

describe('VncGateway on a real QEMU', () => {
  const bed = qemuGatewayBed('gw-test');

  it("does not change the guest's screen when a view-only viewer types, and does for a player", async () => {
    // Booted to the shell prompt: header drawn, the shell area unchanged for 3 s.
    const settled = await bed.settledShell();

    // Screens through the native relay, as in production.
    const viewer = await bed.open(VIEWER, true);
    await viewer.handshake();
    for (const m of typing()) viewer.send(m);
    await bed.keysHandled(viewer);
    // Nothing moved in the time the guest needs to echo a key (the player below shows it does).
    await bed.expectShellStill(settled);
    await viewer.close();

    const player = await bed.open(PLAYER, true);
    await player.handshake();
    for (const m of typing()) player.send(m);
    const changed = await bed.shellChangedFrom(settled);
    expect(changed).not.toBe(settled);
    await player.close();
  });
});
