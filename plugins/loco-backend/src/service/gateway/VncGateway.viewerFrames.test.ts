import { CLOSE } from './VncSession';
import {
  gatewayTestBed,
  PLAYER,
  RELAYS,
  VIEWER,
  waitFor,
} from './__testUtils__/gatewayTestBed';
import * as msg from './__testUtils__/rfbClientMessages';

jest.setTimeout(60_000);

/** The largest WebSocket message the gateway takes from a viewer: 2 MiB. */
const FRAME_LIMIT = 2 * 1024 * 1024;

/** `count` key events (8 bytes each, valid RFB) in one WebSocket message. */
const keyEvents = (count: number) =>
  Buffer.concat(
    Array.from({ length: count }, (_, i) => msg.keyEvent(i % 2 === 0, 0x61)),
  );

const keyEventsReceived = (bed: ReturnType<typeof gatewayTestBed>) =>
  bed.rfb.connections[0].messages.filter(m => m.type === 4).length;

describe.each(RELAYS)(
  'VncGateway: what a viewer may send, screens through %s',
  (_, zeroCopy) => {
    const bed = gatewayTestBed();

    it('closes a session that sends a text frame with 1003, and releases its VNC connection', async () => {
      await bed.start({ zeroCopy });
      const client = await bed.open(VIEWER);
      // Binary frames carry RFB: the handshake goes through.
      await client.handshake();
      client.ws.send('RFB 003.008\n');
      expect(await client.closed).toBe(CLOSE.unsupportedData);
      await waitFor(() => bed.rfb.openConnections() === 0);
      expect(bed.gateway.sessions.size).toBe(0);
    });

    it('takes a message of 2 MiB, and refuses one a key event longer: the session closes, nothing of it reaches VNC', async () => {
      await bed.start({ zeroCopy });
      const client = await bed.open(PLAYER);
      await client.handshake();
      // Exactly at the limit: every one of its key events reaches the server.
      client.send(keyEvents(FRAME_LIMIT / 8));
      await waitFor(() => keyEventsReceived(bed) === FRAME_LIMIT / 8);

      client.send(keyEvents(FRAME_LIMIT / 8 + 1));
      // ws refuses it from its header: 1009, message too big.
      expect(await client.closed).toBe(1009);
      await waitFor(() => bed.rfb.openConnections() === 0);
      expect(keyEventsReceived(bed)).toBe(FRAME_LIMIT / 8);
      expect(bed.gateway.sessions.size).toBe(0);
    });
  },
);
