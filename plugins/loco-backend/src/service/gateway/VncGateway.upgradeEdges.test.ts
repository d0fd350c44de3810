import net from 'node:net';
import { mockCredentials } from '@backstage/backend-test-utils';
import { RfbTestClient } from './__testUtils__/RfbTestClient';
import {
  gatewayTestBed,
  ORIGIN,
  statusOf,
  VIEWER,
  waitFor,
} from './__testUtils__/gatewayTestBed';

jest.setTimeout(30_000);

/** The user cookie Backstage's mock auth issues (what a signed-in browser holds). */
const userCookie = mockCredentials.limitedUser.cookie(VIEWER).split(';')[0];

describe('VncGateway upgrades at their edges', () => {
  const bed = gatewayTestBed();

  const rejected = async (status: string) => {
    const scrape = await bed.runtimes.metrics.registry.getMetricsAsJSON();
    const metric = scrape.find(
      m => m.name === 'loco_vnc_rejected_upgrades_total',
    );
    return metric?.values.find(v => v.labels.status === status)?.value ?? 0;
  };

  it('refuses a cookie-only upgrade without Origin with 403, and takes the same cookie from the app', async () => {
    await bed.start();
    // A non-browser client with only a cookie could be driven by anyone who
    // holds one; browsers always send Origin.
    expect(
      await statusOf(
        RfbTestClient.open(bed.url, ['binary'], { Cookie: userCookie }),
      ),
    ).toBe(403);
    expect(bed.rfb.connections).toHaveLength(0);
    // Positive control: the very cookie works with the app's Origin.
    const client = await RfbTestClient.open(bed.url, ['binary'], {
      Cookie: userCookie,
      Origin: ORIGIN,
    });
    await client.handshake();
    await client.close();
  });

  it('answers 502 when the VNC connection cannot be opened, and keeps no slot for it', async () => {
    await bed.start({ maxSessionsPerUser: 1 });
    const open = jest
      .spyOn(bed.runtimes, 'openVnc')
      .mockRejectedValueOnce(new Error('connect ECONNREFUSED /run/vnc.sock'));
    expect(await statusOf(bed.open(VIEWER))).toBe(502);
    expect(await rejected('502')).toBe(1);
    expect(bed.gateway.sessions.sessionsOf(VIEWER)).toBe(0);
    // The user's only slot is free: the next upgrade gets a session.
    open.mockRestore();
    const client = await bed.open(VIEWER);
    await client.handshake();
    await client.close();
  });

  /** Holds the next openVnc until the test lets it go; resolves `asked` when it was called. */
  function holdNextOpenVnc() {
    const openVnc = bed.runtimes.openVnc.bind(bed.runtimes);
    let letOpen!: () => void;
    const opening = new Promise<void>(resolve => (letOpen = resolve));
    let called!: () => void;
    const asked = new Promise<void>(resolve => (called = resolve));
    jest
      .spyOn(bed.runtimes, 'openVnc')
      .mockImplementationOnce(async (...args) => {
        called();
        await opening;
        return openVnc(...args);
      });
    return { asked, letOpen };
  }

  /** A browser's upgrade on a raw socket, so the test decides when it goes. */
  function rawUpgrade() {
    const { port, pathname } = new URL(bed.url);
    const socket = net.createConnection(Number(port), '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write(
      `GET ${pathname} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
        `Origin: ${ORIGIN}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n` +
        `Sec-WebSocket-Protocol: binary, backstage-token.${mockCredentials.user.token()}\r\n\r\n`,
    );
    return socket;
  }

  /** The VNC connection was made once the runtime let it, and closed again. */
  async function vncOpenedAndReleased() {
    await waitFor(() => bed.rfb.connections.length === 1);
    await waitFor(() => bed.rfb.openConnections() === 0);
    await waitFor(() => bed.gateway.sessions.sessionsOf(VIEWER) === 0);
    expect(bed.gateway.sessions.size).toBe(0);
  }

  it('releases the VNC connection and the slot of a viewer that left while VNC was opening', async () => {
    await bed.start();
    const { asked, letOpen } = holdNextOpenVnc();
    const socket = rawUpgrade();
    await asked;
    expect(bed.gateway.sessions.sessionsOf(VIEWER)).toBe(1);
    // The tab closes before the gateway answers.
    socket.destroy();
    await new Promise(resolve => socket.once('close', resolve));
    letOpen();
    await vncOpenedAndReleased();
  });

  it('releases the VNC connection of an upgrade the backend dropped (shutdown) while VNC was opening', async () => {
    await bed.start();
    const { asked, letOpen } = holdNextOpenVnc();
    const socket = rawUpgrade();
    const dropped = new Promise(resolve => socket.once('close', resolve));
    await asked;
    bed.gateway.close();
    await dropped;
    expect(bed.rfb.connections).toHaveLength(0);
    letOpen();
    await vncOpenedAndReleased();
  });
});
