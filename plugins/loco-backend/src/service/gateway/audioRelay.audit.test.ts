import {
  gatewayTestBed,
  ORIGIN,
  statusOf,
  VIEWER,
  viewerProtocols,
  waitFor,
} from './__testUtils__/gatewayTestBed';
import { RfbTestClient } from './__testUtils__/RfbTestClient';
import { AUDIT_EVENTS } from './sessionAudit';

/** Who listened where, afterwards: sound sockets in the gateway's audit trail. */
describe('AudioRelay audit trail', () => {
  const bed = gatewayTestBed();
  const audioUrl = () => bed.url.replace(/\/vnc$/, '/audio');
  const listen = (headers: Record<string, string> = {}) =>
    RfbTestClient.open(audioUrl(), viewerProtocols(), headers);
  const soundEvents = () =>
    bed.auditor.events.filter(e => e.eventId === AUDIT_EVENTS.sound);

  it('records a sound socket: who, which instance, opened, then closed with how long and what it got', async () => {
    await bed.start();
    const listener = await listen();
    // Opened: recorded while the socket is still open, without an outcome yet.
    await waitFor(() => soundEvents().length === 1);
    expect(soundEvents()[0]).toMatchObject({
      severityLevel: 'low',
      meta: { actor: VIEWER, environment: 'gw-env', instance: 0 },
    });
    expect(soundEvents()[0].outcome).toBeUndefined();

    listener.ws.close(1000, 'tile muted');
    await listener.closed;
    await waitFor(() => soundEvents()[0].outcome !== undefined);
    const [event] = soundEvents();
    expect(event).toMatchObject({
      outcome: 'succeeded',
      meta: {
        actor: VIEWER,
        environment: 'gw-env',
        instance: 0,
        closeCode: 1000,
        closeReason: 'tile muted',
        // The recording RFB server plays nothing.
        bytesToListener: 0,
        chunksDropped: 0,
      },
    });
    expect(event.meta.durationMs).toEqual(expect.any(Number));
    // A sound socket is not a screen session.
    expect(bed.auditor.events.map(e => e.eventId)).toEqual([
      AUDIT_EVENTS.sound,
    ]);
  });

  it('records refused sound sockets of known users with the reason, as sound', async () => {
    await bed.start({ maxSessionsPerUser: 1 });
    const first = await listen();
    const overCap = await listen();
    await overCap.closed;
    expect(await statusOf(listen({ Origin: 'https://evil.example' }))).toBe(
      403,
    );
    // Anonymous callers are not recorded.
    expect(
      await statusOf(
        RfbTestClient.open(audioUrl(), ['binary'], {
          Authorization: 'Bearer not-a-token',
          Origin: ORIGIN,
        }),
      ),
    ).toBe(401);
    await first.close();
    await waitFor(() => soundEvents().every(e => e.outcome !== undefined));
    expect(soundEvents().filter(e => e.outcome === 'failed')).toEqual([
      expect.objectContaining({
        meta: { actor: VIEWER, environment: 'gw-env', instance: 0 },
        error: 'too many sound sockets open',
      }),
      expect.objectContaining({
        meta: { actor: VIEWER, environment: 'gw-env', instance: 0 },
        error: "origin https://evil.example is not the app's",
      }),
    ]);
    expect(soundEvents()).toHaveLength(3);
    expect(
      bed.auditor.events.filter(e => e.eventId === AUDIT_EVENTS.screen),
    ).toEqual([]);
  });
});
