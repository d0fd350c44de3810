import {
  gatewayTestBed,
  viewerProtocols,
  waitFor,
} from './__testUtils__/gatewayTestBed';
import { RfbTestClient } from './__testUtils__/RfbTestClient';
import { CLOSE } from './VncSession';

describe('AudioRelay through the gateway (recording RFB server)', () => {
  const bed = gatewayTestBed();
  const listen = () =>
    RfbTestClient.open(bed.url.replace(/\/vnc$/, '/audio'), viewerProtocols());

  it('serves all listeners of an instance from one VNC connection, closed when the last leaves', async () => {
    await bed.start();
    const a = await listen();
    const b = await listen();
    // Both joined (the gateway has handled both upgrades): one VNC connection.
    expect(bed.gateway.audio.listeners('gw-env', 0)).toBe(2);
    await waitFor(() => bed.rfb.connections.length === 1);
    expect(bed.vncSockets).toHaveLength(1);
    await a.close();
    await waitFor(() => bed.gateway.audio.listeners('gw-env', 0) === 1);
    expect(bed.rfb.openConnections()).toBe(1);
    await b.close();
    await waitFor(() => bed.rfb.openConnections() === 0);
  });

  it('caps the sound sockets a user holds, saying why in the close frame', async () => {
    await bed.start({ maxSessionsPerUser: 2 });
    const a = await listen();
    const b = await listen();
    const refused = await listen();
    expect(await refused.closed).toBe(CLOSE.tooManySessions);
    expect(refused.closeReason).toBe(
      'too many sound sockets open: at most 2 per user',
    );
    await Promise.all([a.close(), b.close()]);
    await waitFor(() => bed.rfb.openConnections() === 0);
    // Slots come back when listeners leave.
    const again = await listen();
    expect(bed.gateway.audio.listeners('gw-env', 0)).toBe(1);
    await again.close();
  });
});
