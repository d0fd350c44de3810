import { CLOSE } from './VncSession';
import { RELAYS } from './__testUtils__/gatewayTestBed';
import {
  PLAYER,
  qemuGatewayBed,
  until,
  VIEWER,
} from './__testUtils__/qemuGatewayBed';
import { expectQemuInSync } from './__testUtils__/qemuSync';
import type { RfbTestClient } from './__testUtils__/RfbTestClient';
import * as msg from './__testUtils__/rfbClientMessages';
import {
  completion,
  mutate,
  randomFrames,
  randomMessages,
  Rng,
} from './__testUtils__/rfbFuzz';

// The filter and QEMU 7.2 must agree on every byte a viewer sends: where
// messages start, and which ones QEMU would drop the connection on.
jest.setTimeout(300_000);

/** LOCO_FUZZ_SEED replays a run; otherwise each run tries new streams. */
const SEED = process.env.LOCO_FUZZ_SEED
  ? Number(process.env.LOCO_FUZZ_SEED)
  : Math.floor(Math.random() * 2 ** 31);
if (!Number.isInteger(SEED)) throw new Error('LOCO_FUZZ_SEED: an integer');

type Outcome = 'accepted' | 'rejected';

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

async function closedWithin(client: RfbTestClient, ms: number) {
  return Promise.race([client.closed, sleep(ms).then(() => undefined)]);
}

describe('RfbClientFilter on a real QEMU 7.2', () => {
  const bed = qemuGatewayBed('gw-fuzz');

  it.each(RELAYS)(
    'keeps sessions that send messages QEMU lacks (150, 248, xvp, unnegotiated extended clipboard) open and served, screens through %s',
    async (_, zeroCopy) => {
      for (const user of [VIEWER, PLAYER]) {
        // QEMU's VNC socket may not be up yet right after launch.
        const client = await until(
          () => bed.open(user, zeroCopy).catch(() => undefined),
          60_000,
        );
        await client.handshake();
        for (const m of [...msg.unsupportedByQemu(), msg.xvp(4)])
          client.send(m);
        // QEMU drops the connection at the first of them if it gets it.
        await expectQemuInSync(client);
        expect(client.closeCode).toBeUndefined();
        await client.close();
      }
    },
  );

  /**
   * Sends `stream` after a handshake, in random WebSocket frames, and then
   * proves QEMU is still in step with the filter. A stream the filter refuses
   * must end that session with a protocol error, and nothing else.
   */
  async function runStream(
    rng: Rng,
    user: string,
    stream: Buffer,
    zeroCopy: boolean,
  ): Promise<Outcome> {
    const client = await bed.open(user, zeroCopy);
    await client.handshake();
    for (const frame of randomFrames(rng, stream)) client.send(frame);
    const tail = completion(stream);
    if (!tail) {
      // QEMU cannot read this stream: the filter must have refused it.
      expect(await closedWithin(client, 10_000)).toBe(CLOSE.protocolError);
      return 'rejected';
    }
    for (let at = 0; at < tail.length; at += 65536)
      client.send(tail.subarray(at, at + 65536));
    try {
      await expectQemuInSync(client);
    } catch (error) {
      if (client.closeCode === CLOSE.protocolError) return 'rejected';
      throw error;
    }
    await client.close();
    return 'accepted';
  }

  it(`agrees with QEMU on random and mutated streams, and view-only ones change no pixel (seed ${SEED}; LOCO_FUZZ_SEED=${SEED} replays)`, async () => {
    // eslint-disable-next-line no-console
    console.log(`RfbClientFilter QEMU fuzz: LOCO_FUZZ_SEED=${SEED}`);
    const rng = new Rng(SEED);
    const outcomes = { accepted: 0, rejected: 0 };
    const count = (outcome: Outcome) => outcomes[outcome]++;
    const settled = await bed.settledShell();
    const fuzzStart = Date.now();
    // Open all along: a stream the filter refuses ends its own session only.
    const bystander = await bed.open(VIEWER, true);
    await bystander.handshake();

    // View-only: well-formed streams go through (minus input), mutated ones
    // either go through or end their session; the guest sees no input.
    const valid = Array.from({ length: 6 }, () =>
      Buffer.concat(randomMessages(rng, 300, true)),
    );
    for (const [i, stream] of valid.entries()) {
      expect(await runStream(rng, VIEWER, stream, i % 2 === 0)).toBe(
        'accepted',
      );
    }
    for (let i = 0; i < 8; i++) {
      const stream = mutate(rng, randomMessages(rng, 200, true));
      count(await runStream(rng, VIEWER, stream, i % 2 === 1));
    }
    // Typed keys show within a few hundred ms (the player below shows it).
    for (let i = 0; i < 8; i++) {
      await sleep(250);
      expect(await bed.shellArea()).toBe(settled);
    }

    // The same well-formed streams from a player do reach the guest.
    for (const [i, stream] of valid.entries())
      expect(await runStream(rng, PLAYER, stream, i % 2 === 1)).toBe(
        'accepted',
      );
    await until(
      async () => ((await bed.shellArea()) !== settled ? true : undefined),
      30_000,
    );

    // A player: mutated streams, input and all.
    for (let i = 0; i < 10; i++) {
      const stream = mutate(rng, randomMessages(rng, 200, true));
      count(await runStream(rng, PLAYER, stream, i % 2 === 0));
    }

    await expectQemuInSync(bystander);
    await bystander.close();
    // eslint-disable-next-line no-console
    console.log(
      `RfbClientFilter QEMU fuzz: ${JSON.stringify(outcomes)} in ${
        Date.now() - fuzzStart
      } ms after the guest settled`,
    );
    // Both paths were taken, or the run proved less than it claims.
    expect(outcomes.accepted).toBeGreaterThan(0);
    expect(outcomes.rejected).toBeGreaterThan(0);
  });
});
