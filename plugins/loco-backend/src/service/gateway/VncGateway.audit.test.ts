import {
  gatewayTestBed,
  ORIGIN,
  PLAYER,
  statusOf,
  VIEWER,
  waitFor,
} from './__testUtils__/gatewayTestBed';
import * as msg from './__testUtils__/rfbClientMessages';

/** Who watched and who played where, afterwards: the gateway's audit events. */
describe('VncGateway audit trail', () => {
  const bed = gatewayTestBed();
  const sessionEvents = () =>
    bed.auditor.events.filter(e => e.eventId === 'vnc-session');

  it('records a player’s session: who, where, control, how long, bytes each way and the input that reached the emulator', async () => {
    await bed.start();
    const player = await bed.open(PLAYER);
    await player.handshake();
    player.send(msg.keyEvent(true, 0x61));
    player.send(msg.keyEvent(false, 0x61));
    await player.roundTrip();
    await player.close();
    await waitFor(() => sessionEvents()[0]?.outcome !== undefined);

    const [event] = sessionEvents();
    expect(event).toMatchObject({
      severityLevel: 'medium',
      outcome: 'succeeded',
      meta: {
        actor: PLAYER,
        environment: 'gw-env',
        instance: 0,
        mode: 'control',
        closeCode: 1000,
        inputPassed: 2,
        inputDropped: 0,
      },
    });
    expect(event.meta.durationMs).toEqual(expect.any(Number));
    // The greeting, the server init and the round trip's update went out;
    // the handshake, two keys and a request went in.
    expect(event.meta.bytesToViewer).toBeGreaterThan(12);
    expect(event.meta.bytesToEmulator).toBeGreaterThan(12 + 2 + 16);
  });

  it('records a viewer’s session as view-only, with the input it tried and the gateway dropped', async () => {
    await bed.start();
    const viewer = await bed.open(VIEWER);
    await viewer.handshake();
    for (let i = 0; i < 3; i++) viewer.send(msg.pointerEvent(1, 10, 10));
    await viewer.roundTrip();
    await viewer.close();
    await waitFor(() => sessionEvents()[0]?.outcome !== undefined);
    expect(sessionEvents()[0]).toMatchObject({
      severityLevel: 'low',
      outcome: 'succeeded',
      meta: { actor: VIEWER, mode: 'view', inputPassed: 0, inputDropped: 3 },
    });
  });

  it('records refused sessions of known users, with the reason, and none of anonymous callers', async () => {
    await bed.start({ maxSessionsPerUser: 1 });
    const first = await bed.open(VIEWER);
    const overCap = await bed.open(VIEWER);
    await overCap.closed;
    expect(
      await statusOf(bed.open(VIEWER, '', { Origin: 'https://evil.example' })),
    ).toBe(403);
    expect(
      await statusOf(
        bed.open(PLAYER, '', {
          Authorization: 'Bearer not-a-token',
          Origin: ORIGIN,
        }),
      ),
    ).toBe(401);
    await first.close();
    await waitFor(() => sessionEvents().every(e => e.outcome !== undefined));

    const refused = sessionEvents().filter(e => e.outcome === 'failed');
    expect(refused).toEqual([
      expect.objectContaining({
        meta: { actor: VIEWER, environment: 'gw-env', instance: 0 },
        error: 'too many screens open',
      }),
      expect.objectContaining({
        meta: { actor: VIEWER, environment: 'gw-env', instance: 0 },
        error: "origin https://evil.example is not the app's",
      }),
    ]);
    expect(sessionEvents()).toHaveLength(3);
  });
});
