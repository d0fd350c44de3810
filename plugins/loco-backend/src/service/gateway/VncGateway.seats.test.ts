import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { SeatStore } from '../seats/SeatStore';
import { Seats } from '../seats/Seats';
import {
  INPUT_MESSAGE,
  type RecordedConnection,
} from './__testUtils__/RecordingRfbServer';
import * as msg from './__testUtils__/rfbClientMessages';
import {
  gatewayTestBed,
  RELAYS,
  waitFor,
} from './__testUtils__/gatewayTestBed';
import type { RfbTestClient } from './__testUtils__/RfbTestClient';
import { PLAYER, PLAYER_2 } from './__testUtils__/testGateway';

jest.setTimeout(60_000);

// Seats are enforced here, on the server: while an instance has a holder,
// only the holder's sessions pass input, whatever the others send.
describe.each(RELAYS)('VncGateway seats, screens through %s', (_, zeroCopy) => {
  const bed = gatewayTestBed();
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

  async function start() {
    await bed.start({ zeroCopy });
    const knex = await databases.init('SQLITE_3');
    const seats = new Seats(
      await SeatStore.create(mockServices.database({ knex })),
      { maxSeatsPerUser: 1, gracePeriodMs: 60_000 },
    );
    bed.gateway.sessions.followSeats(seats);
    return seats;
  }

  /** A player's session on instance 0 and the recording server's end of it. */
  async function open(user: string) {
    const before = bed.rfb.connections.length;
    const client = await bed.open(user);
    await client.handshake();
    await waitFor(() => bed.rfb.connections.length > before);
    return { client, server: bed.rfb.connections[before] };
  }

  /**
   * Sends a key press and a frame request (never dropped): once the request
   * arrived, the key was either passed before it or dropped. True if passed.
   */
  async function keyPasses(p: {
    client: RfbTestClient;
    server: RecordedConnection;
  }) {
    const inputsBefore = p.server.messages.filter(INPUT_MESSAGE).length;
    const countBefore = p.server.messages.length;
    p.client.send(msg.keyEvent(true, 0x61));
    p.client.send(msg.framebufferUpdateRequest(1, 1, 1));
    await waitFor(() =>
      p.server.messages
        .slice(countBefore)
        .some(m => m.bytes[0] === 3 /* FramebufferUpdateRequest */),
    );
    return p.server.messages.filter(INPUT_MESSAGE).length > inputsBefore;
  }

  it('passes only the holder’s input, and a seat change applies to open sessions at once', async () => {
    const seats = await start();
    const a = await open(PLAYER);
    const b = await open(PLAYER_2);
    // No seat: anyone with control types, as before seats.
    expect([await keyPasses(a), await keyPasses(b)]).toEqual([true, true]);

    await seats.claim('gw-env', 0, PLAYER);
    expect([await keyPasses(a), await keyPasses(b)]).toEqual([true, false]);

    // A session opened while the seat is held starts as a watcher.
    const b2 = await open(PLAYER_2);
    expect(await keyPasses(b2)).toBe(false);

    await seats.takeOver('gw-env', 0, PLAYER_2);
    expect([
      await keyPasses(a),
      await keyPasses(b),
      await keyPasses(b2),
    ]).toEqual([false, true, true]);

    // A seat on another instance changes nothing here.
    await seats.claim('gw-env', 1, PLAYER);
    expect([await keyPasses(a), await keyPasses(b)]).toEqual([false, true]);

    await seats.free('gw-env', 0);
    expect([await keyPasses(a), await keyPasses(b)]).toEqual([true, true]);

    const dropped = await bed.runtimes.metrics.vncDroppedInputMessages.get();
    expect(dropped.values.reduce((n, v) => n + v.value, 0)).toBe(4);
    for (const p of [a, b, b2]) await p.client.close();
  });

  it('keeps the holder’s presence: open sessions are reported to the seat upkeep', async () => {
    await start();
    const a = await open(PLAYER);
    expect([...bed.gateway.sessions.present()]).toEqual([
      { environment: 'gw-env', index: 0, user: PLAYER },
    ]);
    await a.client.close();
    await waitFor(() => bed.gateway.sessions.size === 0);
    expect([...bed.gateway.sessions.present()]).toEqual([]);
  });
});
