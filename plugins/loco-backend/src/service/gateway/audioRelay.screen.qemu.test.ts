import { mockCredentials } from '@backstage/backend-test-utils';
import { WebSocket } from 'ws';
import type net from 'node:net';
import * as msg from './__testUtils__/rfbClientMessages';
import {
  PLAYER,
  qemuGatewayBed,
  until,
  VIEWER,
} from './__testUtils__/qemuGatewayBed';
import { RfbTestClient } from './__testUtils__/RfbTestClient';

jest.setTimeout(420_000);

const SHIFTED = '~!@#$%^&*()_+{}|:"<>?';
/**
 * `text` and Return as key presses, as a browser's noVNC sends them: shifted
 * symbols with Shift held (QEMU maps a keysym to its unshifted key).
 */
const typing = (text: string) =>
  [...text, '\r'].flatMap(c => {
    const key = c === '\r' ? 0xff0d : c.charCodeAt(0);
    const press = [msg.keyEvent(true, key), msg.keyEvent(false, key)];
    return SHIFTED.includes(c) || /[A-Z]/.test(c)
      ? [msg.keyEvent(true, 0xffe1), ...press, msg.keyEvent(false, 0xffe1)]
      : press;
  });

/**
 * Reads the screen socket strictly as RFB 3.8 server messages (raw
 * encoding: the client asks for no other), counting FramebufferUpdates and
 * recording every message type seen. Anything else, e.g. QEMU's audio
 * message (255), would break the parse or show in `types`.
 */
function readScreen(client: RfbTestClient, bytesPerPixel: number) {
  const types = new Set<number>();
  let updates = 0;
  const next = async () => {
    const type = (await client.read(1))[0];
    types.add(type);
    if (type === 0) {
      const rects = (await client.read(3)).readUInt16BE(1);
      for (let i = 0; i < rects; i++) {
        const header = await client.read(12);
        if (header.readInt32BE(8) !== 0)
          throw new Error(`encoding ${header.readInt32BE(8)} not asked for`);
        const size =
          header.readUInt16BE(4) * header.readUInt16BE(6) * bytesPerPixel;
        if (size > 0) await client.read(size);
      }
      updates += 1;
      client.send(msg.framebufferUpdateRequest(1, 720, 400));
    } else if (type === 2) {
      // Bell: the type byte only.
    } else if (type === 3) {
      await client.read(3);
      await client.read((await client.read(4)).readUInt32BE(0));
    } else {
      throw new Error(`server message ${type} on the screen socket`);
    }
  };
  return { types, updates: () => updates, next };
}

describe('sound never disturbs the screen (real QEMU, demo guest with an SB16)', () => {
  // SB16 as for Windows 98: its audiodev also carries the PC speaker the demo plays.
  const bed = qemuGatewayBed('gw-audio-screen', { sound: 'sb16' });

  it('keeps screen updates coming while a listener has stopped reading, and no sound reaches the screen socket', async () => {
    await bed.settledShell(300_000);
    const screen = await RfbTestClient.open(bed.url(false), ['binary'], {
      Authorization: mockCredentials.user.header(PLAYER),
    });
    await screen.read(12);
    screen.send(msg.version());
    await screen.read((await screen.read(1))[0]);
    screen.send(msg.securityNone());
    await screen.read(4);
    screen.send(msg.clientInit(1));
    const init = await screen.read(24);
    await screen.read(init.readUInt32BE(20));
    const bytesPerPixel = init[4] / 8;
    // Tones back to back in the guest's background: sound plays throughout.
    for (const m of typing('while :; do tone 600 1900; done &')) screen.send(m);
    screen.send(msg.framebufferUpdateRequest(0, 720, 400));
    const reader = readScreen(screen, bytesPerPixel);

    // A listener (a view-only user, as a browser) that stops reading: its
    // TCP socket is paused, so the gateway's send buffer to it fills up.
    const stalled = new WebSocket(bed.audioUrl(false), [
      'binary',
      `backstage-token.${mockCredentials.user.token()}`,
    ]);
    await new Promise(resolve => stalled.once('open', resolve));
    (stalled as unknown as { _socket: net.Socket })._socket.pause();
    expect(VIEWER).toBe(mockCredentials.user().principal.userEntityRef);

    const relay = bed.gateway(false).audio;
    // Read the screen meanwhile, as a viewer does.
    const dropped = () => relay.stats('gw-audio-screen', 0)?.dropped ?? 0;
    await (async () => {
      while (dropped() === 0) await reader.next();
    })();
    const droppedAtStall = dropped();
    const updatesAtStall = reader.updates();

    // From now on the listener is stalled (chunks to it are dropped); the
    // screen must keep updating (the guest's clock ticks every second).
    while (reader.updates() < updatesAtStall + 5) await reader.next();
    expect(dropped()).toBeGreaterThan(droppedAtStall);
    expect(
      [...reader.types].filter(t => t !== 0 && t !== 2 && t !== 3),
    ).toEqual([]);
    await until(
      async () =>
        relay.stats('gw-audio-screen', 0)!.chunks > 0 ? true : undefined,
      1000,
    );

    for (const m of typing('kill %1')) screen.send(m);
    stalled.terminate();
    await screen.close();
  });
});
