import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { SeatStore } from '../seats/SeatStore';
import { Seats } from '../seats/Seats';
import * as msg from './__testUtils__/rfbClientMessages';
import type { RfbTestClient } from './__testUtils__/RfbTestClient';
import { qemuGatewayBed, until } from './__testUtils__/qemuGatewayBed';
import { PLAYER, PLAYER_2 } from './__testUtils__/testGateway';

jest.setTimeout(300_000);

/** "echo hi" + Return as key presses. */
const typing = () =>
  [...'echo hi']
    .map(c => c.charCodeAt(0))
    .concat(0xff0d)
    .flatMap(k => [msg.keyEvent(true, k), msg.keyEvent(false, k)]);

/** Reads one FramebufferUpdate of raw 32-bit rectangles (QEMU's default without SetEncodings). */
async function readUpdate(client: RfbTestClient) {
  const head = await client.read(4);
  expect(head[0]).toBe(0);
  for (let i = head.readUInt16BE(2); i > 0; i--) {
    const rect = await client.read(12);
    await client.read(rect.readUInt16BE(4) * rect.readUInt16BE(6) * 4);
  }
}

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
    const settled = await bed.settledShell(180_000);

    // Both may control; both open a screen before the seat is claimed.
    const holder = await bed.open(PLAYER, true);
    await holder.handshake();
    const other = await bed.open(PLAYER_2, true);
    await other.handshake();
    await seats.claim('gw-seats', 0, PLAYER);

    for (const m of typing()) other.send(m);
    // QEMU handles messages in order: once this update arrives, any key before it was injected.
    other.send(msg.framebufferUpdateRequest(0, 16, 16));
    await readUpdate(other);
    // Give the guest the time it needs to echo a key (the holder below shows it does).
    for (let i = 0; i < 12; i++) {
      await new Promise(r => setTimeout(r, 250));
      expect(await bed.shellArea()).toBe(settled);
    }

    for (const m of typing()) holder.send(m);
    const changed = await until(async () => {
      const now = await bed.shellArea();
      return now !== settled ? now : undefined;
    }, 60_000);
    expect(changed).not.toBe(settled);
    await holder.close();
    await other.close();
  });
});
