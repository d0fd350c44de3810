import net from 'node:net';
import { mockServices } from '@backstage/backend-test-utils';
import { freePort } from './__testUtils__/agentProcess';
import { QemuLanHub } from './__testUtils__/qemuLanHub';
import { FrameReader, frame } from './lanFrames';
import { LanRelay } from './lanRelay';

// The relay between an instance's QEMU and the chart's LAN hub. The hub is the
// real one (QEMU's hubports, as the chart runs it); the instances' side is a
// test double speaking QEMU's netdev framing, so each frame can be checked.
jest.setTimeout(60_000);

const logger = mockServices.logger.mock();
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** What a QEMU netdev does on its side of the relay: connect, send and read frames. */
class FakeQemuNetdev {
  readonly received: Buffer[] = [];
  closed = false;
  private constructor(readonly socket: net.Socket) {
    const reader = new FrameReader();
    socket.on('data', (c: Buffer) => this.received.push(...reader.push(c)));
    socket.on('close', () => {
      this.closed = true;
    });
  }
  static async connect(port: number): Promise<FakeQemuNetdev> {
    const socket = net.connect({ host: '127.0.0.1', port });
    await new Promise(r => socket.once('connect', r));
    const fake = new FakeQemuNetdev(socket);
    cleanups.push(() => socket.destroy());
    return fake;
  }
  send(payload: string): void {
    this.socket.write(frame(Buffer.from(payload)));
  }
  payloads(): string[] {
    return this.received.map(f => f.subarray(4).toString());
  }
}

async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (ok()) return;
    await new Promise(r => setTimeout(r, 50));
  }
  throw new Error(`not reached: ${what}`);
}

/**
 * Sends `payload` from one side until the other has it, like a ping: the hub
 * QEMU may accept a port's connection after its peer's first frame (then that
 * frame is dropped, as on any Ethernet), most of all on a loaded machine.
 */
async function deliver(
  from: FakeQemuNetdev,
  to: FakeQemuNetdev,
  payload: string,
) {
  for (let i = 0; i < 80; i++) {
    from.send(payload);
    for (let j = 0; j < 5; j++) {
      if (to.payloads().includes(payload)) return;
      await new Promise(r => setTimeout(r, 50));
    }
  }
  throw new Error(`not delivered: ${payload}`);
}

async function relayTo(port: number): Promise<LanRelay> {
  const relay = await LanRelay.start({ host: '127.0.0.1', port }, logger);
  cleanups.push(() => relay.close());
  return relay;
}

describe('the LAN relay', () => {
  it("keeps both instances' QEMU connections through a hub restart and carries frames again after it", async () => {
    const ports = [await freePort(), await freePort()];
    let hub = await QemuLanHub.start(ports);
    cleanups.push(() => hub.kill());
    const relays = [await relayTo(ports[0]), await relayTo(ports[1])];
    const [a, b] = [
      await FakeQemuNetdev.connect(relays[0].port),
      await FakeQemuNetdev.connect(relays[1].port),
    ];
    await until('both joined', () => relays.every(r => r.joined));
    await deliver(a, b, 'hello from 0');

    await hub.kill();
    await until('both lost the hub', () => relays.every(r => !r.joined));
    a.send('nobody hears this');

    hub = await QemuLanHub.start(ports);
    expect(await relays[0].waitJoined(20_000)).toBe(true);
    expect(await relays[1].waitJoined(20_000)).toBe(true);
    await deliver(b, a, 'hello again from 1');
    await deliver(a, b, 'and from 0');

    // QEMU's side never saw its link drop, and nothing but whole frames.
    expect([a.closed, b.closed]).toEqual([false, false]);
    // (Each sent until heard, so some may arrive twice.)
    expect(new Set(a.payloads())).toEqual(new Set(['hello again from 1']));
    expect(new Set(b.payloads())).toEqual(
      new Set(['hello from 0', 'and from 0']),
    );
  });

  it('drops a frame the hub cut in half, so QEMU stays in step', async () => {
    // A hub test double: the first connection sends half a frame and dies,
    // the next one sends a whole frame.
    const port = await freePort();
    let connections = 0;
    const whole = frame(Buffer.from('a whole frame'));
    const hub = net.createServer(socket => {
      connections += 1;
      if (connections === 1) socket.end(whole.subarray(0, 9));
      else socket.write(whole);
    });
    await new Promise<void>(r => hub.listen(port, '127.0.0.1', r));
    cleanups.push(() => new Promise(r => hub.close(r)));
    const relay = await relayTo(port);
    const qemu = await FakeQemuNetdev.connect(relay.port);
    await until('the whole frame', () => qemu.received.length > 0);
    expect(connections).toBe(2);
    expect(qemu.payloads()).toEqual(['a whole frame']);
    expect(qemu.closed).toBe(false);
  });

  it("points QEMU's socket and stream netdevs at itself", async () => {
    const relay = await relayTo(await freePort());
    const at = relay.port;
    expect(
      relay.netdevFor('socket,id=lan0,connect=lab-lan-3.loco.svc:5555'),
    ).toBe(`socket,id=lan0,connect=127.0.0.1:${at}`);
    expect(
      relay.netdevFor(
        'stream,id=lan0,server=off,addr.type=inet,addr.host=lab-lan-0.loco.svc,addr.port=5555,reconnect=3',
      ),
    ).toBe(
      `stream,id=lan0,server=off,addr.type=inet,addr.host=127.0.0.1,addr.port=${at},reconnect=3`,
    );
  });
});
