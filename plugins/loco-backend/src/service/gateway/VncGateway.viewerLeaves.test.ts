import net from 'node:net';
import { mockCredentials } from '@backstage/backend-test-utils';
import {
  gatewayTestBed,
  ORIGIN,
  RELAYS,
  VIEWER,
} from './__testUtils__/gatewayTestBed';

/** The upgrade a browser sends for instance 0, token in the subprotocol. */
function upgradeRequest(path: string) {
  return (
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
    `Origin: ${ORIGIN}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n` +
    `Sec-WebSocket-Protocol: binary, backstage-token.${mockCredentials.user.token()}\r\n\r\n`
  );
}

/** Waits until `condition` holds, or `ms` have passed. */
async function settle(ms: number, condition: () => boolean) {
  const deadline = Date.now() + ms;
  while (!condition() && Date.now() < deadline) {
    await new Promise(r => setTimeout(r, 10));
  }
}

describe.each(RELAYS)('VncGateway with %s: a viewer leaving', (_, zeroCopy) => {
  const bed = gatewayTestBed();
  let path = '';
  let port = 0;
  const start = async () => {
    // A long heartbeat, as in production: only the viewer's leaving may end the session.
    await bed.start({ zeroCopy, heartbeatIntervalMs: 60_000 });
    const url = new URL(bed.url);
    path = url.pathname;
    port = Number(url.port);
  };
  /**
   * The promise: the server lets go "within a second of the viewer
   * leaving"; without it the heartbeat would find the session after 30-60 s.
   */
  const left = () => ({
    sessions: bed.gateway.sessions.size,
    slotsOfTheUser: bed.gateway.sessions.sessionsOf(VIEWER),
    vncConnections: bed.rfb.openConnections(),
  });
  const NOTHING = { sessions: 0, slotsOfTheUser: 0, vncConnections: 0 };
  /** What is still open a second after the viewer left (NOTHING, when it is let go in time). */
  const leftAfterASecond = async () => {
    await settle(
      1_000,
      () => JSON.stringify(left()) === JSON.stringify(NOTHING),
    );
    return left();
  };

  /** Sends the upgrade, waits for `stage`, then leaves the way `leave` says. */
  async function viewerThatLeaves(
    stage: 'request sent' | 'upgraded' | 'greeted',
    leave: 'reset' | 'fin',
  ) {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise(resolve => socket.once('connect', resolve));
    socket.write(upgradeRequest(path));
    let received = '';
    socket.on('data', chunk => (received += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    const reached = () =>
      stage === 'request sent' ||
      (stage === 'upgraded' && received.includes('\r\n\r\n')) ||
      (stage === 'greeted' && received.includes('RFB 003.008'));
    await settle(2_000, reached);
    expect({ stage, reached: reached() }).toEqual({ stage, reached: true });
    if (leave === 'reset') socket.resetAndDestroy();
    else socket.end();
  }

  for (const stage of ['request sent', 'upgraded', 'greeted'] as const) {
    for (const leave of ['reset', 'fin'] as const) {
      it(`ends the session within a second when the viewer leaves (${leave}) once the ${stage}`, async () => {
        await start();
        await viewerThatLeaves(stage, leave);
        expect(await leftAfterASecond()).toEqual(NOTHING);
      });
    }
  }

  it('ends the session within a second of a close frame, screen idle', async () => {
    await start();
    const client = await bed.open(VIEWER);
    await client.handshake();
    client.ws.close(1001);
    expect(await leftAfterASecond()).toEqual(NOTHING);
  });

  /** QEMU sends screen updates all the time; the recording server is made to. */
  function streamScreen() {
    const serverSide =
      bed.rfb.connections[bed.rfb.connections.length - 1].socket;
    const block = Buffer.alloc(16 << 10, 7);
    let streaming = true;
    const timer = setInterval(() => streaming && serverSide.write(block), 5);
    serverSide.once('close', () => {
      streaming = false;
      clearInterval(timer);
    });
    return () => clearInterval(timer);
  }

  for (const how of [
    'close frame, then the socket',
    'the socket only',
    'close frame, then stops reading',
  ] as const) {
    it(`ends the session within a second when a viewer of a changing screen leaves: ${how}`, async () => {
      await start();
      const client = await bed.open(VIEWER);
      await client.handshake();
      const stop = streamScreen();
      await client.read(64 << 10);
      const socket = (client.ws as any)._socket as net.Socket;
      if (how === 'the socket only') socket.resetAndDestroy();
      else {
        client.ws.close(1001);
        if (how === 'close frame, then the socket')
          setImmediate(() => socket.destroy());
        else socket.pause();
      }
      try {
        expect(await leftAfterASecond()).toEqual(NOTHING);
      } finally {
        stop();
      }
    });
  }

  it('frees the per-user slots at once, so a reload of nine tiles ten times never meets the cap', async () => {
    await start();
    for (let reload = 0; reload < 10; reload++) {
      const tiles = await Promise.all(
        Array.from({ length: 9 }, () => bed.open(VIEWER)),
      );
      await Promise.all(tiles.map(t => t.handshake()));
      // A reload: the browser drops every socket at once, no close frames.
      for (const t of tiles) t.ws.terminate();
    }
    expect(await leftAfterASecond()).toEqual(NOTHING);
  });
});
