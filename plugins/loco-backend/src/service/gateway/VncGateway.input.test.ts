import { CLOSE } from './VncSession';
import {
  INPUT_MESSAGE,
  type RecordedConnection,
} from './__testUtils__/RecordingRfbServer';
import { randomChunks, randomMessages } from './__testUtils__/randomRfb';
import * as msg from './__testUtils__/rfbClientMessages';
import {
  gatewayTestBed,
  PLAYER,
  RELAYS,
  VIEWER,
  waitFor,
} from './__testUtils__/gatewayTestBed';
import type { GatewaySettings } from './gatewayConfig';

// What a viewer may send: view-only is enforced here, on the server.
describe.each(RELAYS)(
  'VncGateway input filtering, screens through %s',
  (_, zeroCopy) => {
    const bed = gatewayTestBed();
    const start = (settings: Partial<GatewaySettings> = {}) =>
      bed.start({ zeroCopy, ...settings });

    it('forces the shared flag and passes frame requests of a view-only viewer, but no crafted input', async () => {
      await start();
      const viewer = await bed.open(VIEWER);
      await viewer.handshake();
      for (const m of msg.everyMessage()) viewer.send(m);
      viewer.send(msg.framebufferUpdateRequest(0, 1, 1));
      const expected =
        msg.everyMessage().filter(m => !msg.isInput(m)).length + 1;
      await waitFor(() => bed.rfb.connections[0]?.messages.length === expected);

      const [conn] = bed.rfb.connections;
      expect(conn.sharedFlag).toBe(1);
      expect(conn.messages.filter(INPUT_MESSAGE)).toEqual([]);
      expect(conn.messages.map(m => m.bytes)).toEqual([
        ...msg.everyMessage().filter(m => !msg.isInput(m)),
        msg.framebufferUpdateRequest(0, 1, 1),
      ]);
      const dropped = await bed.runtimes.metrics.vncDroppedInputMessages.get();
      expect(dropped.values.reduce((n, v) => n + v.value, 0)).toBe(7);
      await viewer.close();
    });

    it('never delivers input from random streams of a view-only viewer, split anywhere', async () => {
      await start();
      const viewer = await bed.open(VIEWER);
      await viewer.handshake();
      const messages = randomMessages(3000, 42);
      const stream = Buffer.concat(messages);
      for (const chunk of randomChunks(stream, 7)) viewer.send(chunk);
      const kept = messages.filter(m => !msg.isInput(m));
      viewer.send(msg.framebufferUpdateRequest(0, 1, 1));
      const received = bed.rfb.connections[0].messages;
      await waitFor(() => received.length === kept.length + 1);
      expect(received.filter(INPUT_MESSAGE)).toEqual([]);
      expect(Buffer.concat(received.map(m => m.bytes))).toEqual(
        Buffer.concat([
          ...messages.filter(m => !msg.isInput(m)),
          msg.framebufferUpdateRequest(0, 1, 1),
        ]),
      );
      await viewer.close();
    });

    it('closes a session that sends random garbage, delivers no input from it, and leaves other viewers alone', async () => {
      await start();
      const bystander = await bed.open(VIEWER);
      await bystander.handshake();
      let seed = 1;
      for (let round = 0; round < 20; round++) {
        const attacker = await bed.open(VIEWER);
        await attacker.handshake();
        const garbage = Buffer.alloc(4096);
        for (let i = 0; i < garbage.length; i++) {
          seed = (seed * 1103515245 + 12345) % 2 ** 31;
          garbage[i] = seed >> 16;
        }
        attacker.send(garbage);
        expect(await attacker.closed).toBe(CLOSE.protocolError);
      }
      for (const conn of bed.rfb.connections)
        expect(conn.messages.filter(INPUT_MESSAGE)).toEqual([]);
      await bystander.roundTrip();
      await bystander.close();
    });

    it('closes a session whose handshake is hostile before anything reaches the server', async () => {
      await start();
      const client = await bed.open(VIEWER);
      await client.read(12);
      client.send(Buffer.from('RFB 003.008\n'));
      await client.read(2);
      client.send(Buffer.from([19])); // VeNCrypt: would hide input behind TLS
      expect(await client.closed).toBe(CLOSE.protocolError);
    });

    it('delivers every message of a control session unchanged', async () => {
      await start();
      const player = await bed.open(PLAYER);
      await player.handshake();
      const messages = randomMessages(500, 9);
      player.send(Buffer.concat(messages));
      player.send(msg.framebufferUpdateRequest(0, 1, 1));
      await waitFor(
        () => bed.rfb.connections[0].messages.length === messages.length + 1,
      );
      expect(
        Buffer.concat(bed.rfb.connections[0].messages.map(m => m.bytes)),
      ).toEqual(
        Buffer.concat([...messages, msg.framebufferUpdateRequest(0, 1, 1)]),
      );
      await player.close();
    });

    /** A player's session and the recording server's end of it. */
    const playerSession = async () => {
      await start();
      const player = await bed.open(PLAYER);
      await player.handshake();
      return { player, server: bed.rfb.connections[0] };
    };

    /**
     * What the server received once `count` messages arrived. A message out
     * of order breaks the server's parse: that fails here, without waiting.
     */
    const received = async (server: RecordedConnection, count: number) => {
      await waitFor(
        () => server.messages.length === count || Boolean(server.error),
      );
      if (server.error) throw new Error(`VNC server: ${server.error}`);
      return Buffer.concat(server.messages.map(m => m.bytes));
    };

    it("holds a player's input while the server does not read, then delivers it whole and in order", async () => {
      const { player, server } = await playerSession();
      server.socket.pause();
      // 4 MiB: far more than the socket buffers take, so the gateway's
      // writes to VNC come up short and the rest must queue behind them.
      const sent: Buffer[] = [];
      for (let i = 0; i < 8; i++) {
        const text = Buffer.alloc(512 * 1024, 0x41 + (i % 26)).toString();
        sent.push(msg.cutText(text), msg.keyEvent(true, 0x61 + (i % 26)));
        player.send(Buffer.concat(sent.slice(-2)));
      }
      // The kernel took what it could and Node queues the rest: the case
      // this test is about has happened once the gateway's end holds bytes.
      const [toVnc] = bed.vncSockets;
      await waitFor(() => toVnc.writableLength > 0);
      server.socket.resume();
      // (Buffer.equals: jest's toEqual walks megabytes byte by byte, slowly.)
      const bytes = await received(server, sent.length);
      expect(bytes.equals(Buffer.concat(sent))).toBe(true);
      await player.close();
    });

    it("keeps a player's input in order while the server reads in bursts", async () => {
      const { player, server } = await playerSession();
      // The VNC socket keeps filling and draining, so the gateway's writes
      // meet a socket with room while earlier input still waits in Node.
      const bursts = setInterval(
        () =>
          server.socket.isPaused()
            ? server.socket.resume()
            : server.socket.pause(),
        2,
      );
      const sent: Buffer[] = [];
      for (let i = 0; i < 400; i++) {
        const text = 'x'.repeat(((i * 7919) % 97) * 1024);
        sent.push(
          msg.cutText(text),
          msg.keyEvent(i % 2 === 0, 0x61 + (i % 26)),
        );
        player.send(Buffer.concat(sent.slice(-2)));
        if (i % 20 === 0) await new Promise(resolve => setTimeout(resolve, 3));
      }
      const bytes = await received(server, sent.length).finally(() =>
        clearInterval(bursts),
      );
      expect(bytes.equals(Buffer.concat(sent))).toBe(true);
      await player.close();
    });

    it('lets a player choose to watch only with ?viewOnly=true', async () => {
      await start();
      const player = await bed.open(PLAYER, '?viewOnly=true');
      await player.handshake();
      player.send(msg.keyEvent(true, 0x61));
      await player.roundTrip();
      expect(bed.rfb.connections[0].messages.map(m => m.type)).toEqual([3]);
      await player.close();
    });
  },
);
