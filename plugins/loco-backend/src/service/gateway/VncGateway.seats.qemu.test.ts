import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { SeatStore } from '../seats/SeatStore';
import { Seats } from '../seats/Seats';
import * as msg from './__testUtils__/rfbClientMessages';
import { qemuGatewayBed } from './__testUtils__/qemuGatewayBed';
import { PLAYER, PLAYER_2 } from './__testUtils__/testGateway';

jest.setTimeout(300_000);

/** "echo hi" + Return as key presses. */
const typing = () =>
  [...'echo hi']
    .map(c => c.charCodeAt(0))
    .concat(0xff0d)
    .flatMap(k => [msg.keyEvent(true, k), msg.keyEvent(false, k)]);

describe('Seats on a real QEMU', () => {
  const bed = qemuGatewayBed('gw-seats');
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

  it("drops a non-holder's typing (the guest's screen stays), and passes the holder's", async () => {
    const knex = await databases.init('SQLITE_3');
    const seats = new Seats(
      await SeatStore.create(mockServices.database({ knex })),
      { maxSeatsPerUser: 1, gracePeriodMs: 60_000 },
    );
    bed.gateway(true).sessions.followSeats(seats);
    const settled = await bed.settledShell();

    // Both may control; both open a screen before the seat is claimed.
    const holder = await bed.open(PLAYER, true);
    await holder.handshake();
    const other = await bed.open(PLAYER_2, true);
    await other.handshake();
    await seats.claim('gw-seats', 0, PLAYER);

    for (const m of typing()) other.send(m);
    await bed.keysHandled(other);
    // Nothing moved in the time the guest needs to echo a key (the holder below shows it does).
    await bed.expectShellStill(settled);

    for (const m of typing()) holder.send(m);
    const changed = await bed.shellChangedFrom(settled);
    expect(changed).not.toBe(settled);
    await holder.close();
    await other.close();
  });
});
