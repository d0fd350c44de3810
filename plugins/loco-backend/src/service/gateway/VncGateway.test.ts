import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  LocoRuntimes,
  type VncOpenOptions,
} from '@loco-portal/plugin-loco-node';
import { FakeEmulatorRuntime } from '../../__testUtils__/FakeEmulatorRuntime';
import { GATEWAY_DEFAULTS, GatewaySettings } from './gatewayConfig';
import { VncGateway } from './VncGateway';
import { CLOSE, HIGH_WATER_BYTES } from './VncSession';
import {
  INPUT_MESSAGE,
  RecordingRfbServer,
} from './__testUtils__/RecordingRfbServer';
import { RfbTestClient } from './__testUtils__/RfbTestClient';
import * as msg from './__testUtils__/rfbClientMessages';

jest.setTimeout(60_000);

const PORT = 7101;
const ORIGIN = 'http://localhost:3000';
/** The default mock user: its token is subprotocol-safe, like a real JWT. */
const VIEWER = 'user:default/mock';
const PLAYER = 'user:default/player';

/** Runtime double whose VNC streams reach the recording RFB server. */
class RecordingRuntime extends FakeEmulatorRuntime {
  constructor(private readonly socketPath: string) {
    super([{ name: 'gw-env', instances: 2, storageMode: 'ephemeral' }]);
  }
  // Like the real runtimes' unix sockets: honours `onread` (pooled reads).
  override async openVnc(
    environment: string,
    index: number,
    options?: VncOpenOptions,
  ) {
    await super.openVnc(environment, index); // validates the instance
    const socket = net.createConnection({
      path: this.socketPath,
      onread: options?.onread,
    });
    await new Promise<void>((resolve, reject) =>
      socket.once('connect', resolve).once('error', reject),
    );
    return socket;
  }
}

let dir: string;
let rfb: RecordingRfbServer;
let server: http.Server;
let runtimes: LocoRuntimes;
let gateway: VncGateway;
/** Which relay carries screens in the current describe block. */
let zeroCopy = true;

async function start(settings: Partial<GatewaySettings> = {}) {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loco-gw-'));
  rfb = new RecordingRfbServer();
  await rfb.listen(path.join(dir, 'vnc.sock'));
  runtimes = new LocoRuntimes([
    new RecordingRuntime(path.join(dir, 'vnc.sock')),
  ]);
  gateway = new VncGateway({
    basePath: '/api/loco',
    allowedOrigin: ORIGIN,
    runtimes,
    httpAuth: mockServices.httpAuth({
      defaultCredentials: mockCredentials.none(),
    }),
    // Viewers may watch; only the player may control.
    permissions: mockServices.permissions.mock({
      authorize: async (requests, options) => {
        const user = (
          options.credentials.principal as { userEntityRef?: string }
        ).userEntityRef;
        return requests.map(r => ({
          result:
            r.permission.name === 'loco.environment.read' || user === PLAYER
              ? AuthorizeResult.ALLOW
              : AuthorizeResult.DENY,
        })) as any;
      },
    }),
    logger: mockServices.logger.mock(),
    settings: { ...GATEWAY_DEFAULTS, zeroCopy, ...settings },
  });
  server = http.createServer((_req, res) => res.writeHead(404).end());
  gateway.attach(server);
  await new Promise<void>(resolve => server.listen(PORT, '127.0.0.1', resolve));
}

afterEach(async () => {
  gateway?.close();
  server?.closeAllConnections();
  await new Promise(resolve => server?.close(resolve));
  await rfb?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const URL_BASE = `ws://127.0.0.1:${PORT}/api/loco/environments/gw-env/instances/0/vnc`;
const protocolsOf = (_user: typeof VIEWER) => [
  'binary',
  `backstage-token.${mockCredentials.user.token()}`,
];
/** The viewer authenticates like the browser (subprotocol), the player like a CLI (header). */
const open = (user: string, query = '', headers: Record<string, string> = {}) =>
  user === VIEWER
    ? RfbTestClient.open(`${URL_BASE}${query}`, protocolsOf(VIEWER), headers)
    : RfbTestClient.open(`${URL_BASE}${query}`, ['binary'], {
        Authorization: mockCredentials.user.header(user),
        ...headers,
      });
const statusOf = (p: Promise<unknown>) =>
  p.then(
    () => 200,
    (e: { status?: number }) => e.status,
  );

/** Random well-formed client messages of every kind, input and not. */
function randomMessages(count: number, seed: number): Buffer[] {
  let s = seed;
  const rand = (n: number) => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s % n;
  };
  const builders = [
    () => msg.setPixelFormat([8, 16, 32][rand(3)]),
    () =>
      msg.setEncodings(Array.from({ length: rand(8) }, () => rand(600) - 300)),
    () => msg.framebufferUpdateRequest(rand(2), rand(800), rand(600)),
    () => msg.keyEvent(rand(2) === 1, rand(0xffff)),
    () => msg.pointerEvent(rand(256), rand(800), rand(600)),
    () => msg.cutText('x'.repeat(rand(300))),
    () => msg.extendedCutText(rand(2 ** 31), Buffer.alloc(rand(40), 1)),
    () => msg.qemuExtendedKey(rand(2) === 1, rand(0xffff), rand(0x200)),
    () =>
      [msg.qemuAudioEnable, msg.qemuAudioDisable, msg.qemuAudioFormat][
        rand(3)
      ](),
    () => msg.xvp(rand(5)),
    () => msg.setDesktopSize(rand(2000), rand(2000)),
    () => msg.fence(Buffer.alloc(rand(65))),
    () => msg.enableContinuousUpdates(),
  ];
  return Array.from({ length: count }, () => builders[rand(builders.length)]());
}

/** Splits a stream at random points, as TCP and WebSocket framing may. */
function randomChunks(stream: Buffer, seed: number): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  let s = seed;
  while (at < stream.length) {
    s = (s * 48271) % 2147483647;
    const size = 1 + (s % 97);
    out.push(stream.subarray(at, at + size));
    at += size;
  }
  return out;
}

describe.each([
  ['the native splice relay', true],
  ['the JavaScript relay', false],
])(
  'VncGateway with a recording RFB server, screens through %s',
  (_, native) => {
    beforeAll(() => {
      zeroCopy = native;
    });

    it('carries a large screen update byte-exact, interleaved with small ones, and counts its bytes', async () => {
      await start();
      // The native relay is built by `npm install` (bootstrap requires it).
      expect(gateway.spliceRelay).toMatchObject({ available: native });
      const client = await open(PLAYER);
      await client.handshake();
      const serverSide = rfb.connections[0].socket;
      let seed = 7;
      const screen = Buffer.alloc(8 << 20);
      for (let i = 0; i < screen.length; i++) {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        screen[i] = seed >> 16;
      }
      const parts = [screen.subarray(0, 3), screen.subarray(3, 5 << 20)];
      parts.push(screen.subarray(5 << 20, (5 << 20) + 100));
      parts.push(screen.subarray((5 << 20) + 100));
      for (const part of parts) serverSide.write(part);
      expect((await client.read(screen.length)).equals(screen)).toBe(true);

      // Sessions count bytes and report them when metrics are scraped.
      const scrape = await runtimes.metrics.registry.getMetricsAsJSON();
      const bytes = scrape.find(m => m.name === 'loco_vnc_bytes_total')!;
      const byDirection = Object.fromEntries(
        bytes.values.map(v => [v.labels.direction, v.value]),
      );
      expect(byDirection.to_client).toBeGreaterThanOrEqual(screen.length);
      // The viewer's handshake: version, security type, ClientInit.
      expect(byDirection.to_server).toBeGreaterThanOrEqual(14);
      await client.close();
    });

    it('forces the shared flag and passes frame requests of a view-only viewer, but no crafted input', async () => {
      await start();
      const viewer = await open(VIEWER);
      await viewer.handshake();
      for (const m of msg.everyMessage()) viewer.send(m);
      viewer.send(msg.framebufferUpdateRequest(0, 1, 1));
      const expected =
        msg.everyMessage().filter(m => !msg.isInput(m)).length + 1;
      await waitFor(() => rfb.connections[0]?.messages.length === expected);

      const [conn] = rfb.connections;
      expect(conn.sharedFlag).toBe(1);
      expect(conn.messages.filter(INPUT_MESSAGE)).toEqual([]);
      expect(conn.messages.map(m => m.bytes)).toEqual([
        ...msg.everyMessage().filter(m => !msg.isInput(m)),
        msg.framebufferUpdateRequest(0, 1, 1),
      ]);
      const dropped = await runtimes.metrics.vncDroppedInputMessages.get();
      expect(dropped.values.reduce((n, v) => n + v.value, 0)).toBe(7);
      await viewer.close();
    });

    it('never delivers input from random streams of a view-only viewer, split anywhere', async () => {
      await start();
      const viewer = await open(VIEWER);
      await viewer.handshake();
      const messages = randomMessages(3000, 42);
      const stream = Buffer.concat(messages);
      for (const chunk of randomChunks(stream, 7)) viewer.send(chunk);
      const kept = messages.filter(m => !msg.isInput(m));
      viewer.send(msg.framebufferUpdateRequest(0, 1, 1));
      const received = rfb.connections[0].messages;
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
      const bystander = await open(VIEWER);
      await bystander.handshake();
      let seed = 1;
      for (let round = 0; round < 20; round++) {
        const attacker = await open(VIEWER);
        await attacker.handshake();
        const garbage = Buffer.alloc(4096);
        for (let i = 0; i < garbage.length; i++) {
          seed = (seed * 1103515245 + 12345) % 2 ** 31;
          garbage[i] = seed >> 16;
        }
        attacker.send(garbage);
        expect(await attacker.closed).toBe(CLOSE.protocolError);
      }
      for (const conn of rfb.connections)
        expect(conn.messages.filter(INPUT_MESSAGE)).toEqual([]);
      await bystander.roundTrip();
      await bystander.close();
    });

    it('closes a session whose handshake is hostile before anything reaches the server', async () => {
      await start();
      const client = await open(VIEWER);
      await client.read(12);
      client.send(Buffer.from('RFB 003.008\n'));
      await client.read(2);
      client.send(Buffer.from([19])); // VeNCrypt: would hide input behind TLS
      expect(await client.closed).toBe(CLOSE.protocolError);
    });

    it('delivers every message of a control session unchanged', async () => {
      await start();
      const player = await open(PLAYER);
      await player.handshake();
      const messages = randomMessages(500, 9);
      player.send(Buffer.concat(messages));
      player.send(msg.framebufferUpdateRequest(0, 1, 1));
      await waitFor(
        () => rfb.connections[0].messages.length === messages.length + 1,
      );
      expect(
        Buffer.concat(rfb.connections[0].messages.map(m => m.bytes)),
      ).toEqual(
        Buffer.concat([...messages, msg.framebufferUpdateRequest(0, 1, 1)]),
      );
      await player.close();
    });

    it('lets a player choose to watch only with ?viewOnly=true', async () => {
      await start();
      const player = await open(PLAYER, '?viewOnly=true');
      await player.handshake();
      player.send(msg.keyEvent(true, 0x61));
      await player.roundTrip();
      expect(rfb.connections[0].messages.map(m => m.type)).toEqual([3]);
      await player.close();
    });

    it('refuses a foreign Origin with 403, missing tokens with 401, unknown instances with 404', async () => {
      await start();
      expect(
        await statusOf(open(VIEWER, '', { Origin: 'https://evil.example' })),
      ).toBe(403);
      expect(
        await statusOf(
          RfbTestClient.open(URL_BASE, ['binary'], { Origin: ORIGIN }),
        ),
      ).toBe(401);
      expect(await statusOf(RfbTestClient.open(URL_BASE, ['binary']))).toBe(
        401,
      );
      expect(
        await statusOf(
          RfbTestClient.open(
            URL_BASE.replace('gw-env', 'no-such-env'),
            protocolsOf(VIEWER),
          ),
        ),
      ).toBe(404);
      const ok = await open(VIEWER, '', { Origin: ORIGIN });
      await ok.handshake();
      await ok.close();
      const rejected = await runtimes.metrics.vncRejectedUpgrades.get();
      expect(
        Object.fromEntries(
          rejected.values.map(v => [v.labels.status, v.value]),
        ),
      ).toEqual({
        '401': 2,
        '403': 1,
        '404': 1,
      });
      expect(rfb.connections).toHaveLength(1);
    });

    it('caps sessions per user with 429 and frees the slot when a session ends', async () => {
      await start({ maxSessionsPerUser: 2 });
      const a = await open(VIEWER);
      const b = await open(VIEWER);
      expect(await statusOf(open(VIEWER))).toBe(429);
      const other = await open(PLAYER);
      await a.close();
      await waitFor(() => gateway.sessions.sessionsOf(VIEWER) === 1);
      const c = await open(VIEWER);
      await Promise.all([b.close(), c.close(), other.close()]);
    });

    it('tears down both sides: the server closing ends the viewer, the viewer leaving ends the server connection', async () => {
      await start();
      const one = await open(VIEWER);
      await one.handshake();
      rfb.connections[0].socket.destroy();
      expect(await one.closed).toBe(CLOSE.normal);

      const two = await open(VIEWER);
      await two.handshake();
      two.ws.terminate();
      await waitFor(() => rfb.openConnections() === 0);
      await waitFor(() => gateway.sessions.size === 0);
    });

    it('closes a viewer that sends nothing for the idle timeout', async () => {
      await start({ idleTimeoutMs: 300, heartbeatIntervalMs: 100 });
      const client = await open(VIEWER);
      await client.handshake();
      expect(await client.closed).toBe(CLOSE.idle);
      await waitFor(() => rfb.openConnections() === 0);
    });

    it('stops reading VNC while the viewer does not read (backpressure)', async () => {
      await start();
      const client = await open(PLAYER);
      await client.handshake();
      // The viewer stops reading; the server tries to push 256 MiB.
      (client.ws as any)._socket.pause();
      const serverSide = rfb.connections[0].socket;
      const block = Buffer.alloc(1 << 20);
      let written = 0;
      let stalled = false;
      while (written < 256 << 20 && !stalled) {
        written += block.length;
        if (!serverSide.write(block)) {
          // Stalled = no drain for a second: the gateway has stopped reading.
          stalled = await new Promise<boolean>(resolve => {
            const timer = setTimeout(() => resolve(true), 1000);
            serverSide.once('drain', () => {
              clearTimeout(timer);
              resolve(false);
            });
          });
        }
      }
      expect(stalled).toBe(true);
      expect(written).toBeLessThan(256 << 20);
      const [session] = (gateway.sessions as any).sessions as Set<any>;
      expect(session.o.ws.bufferedAmount).toBeLessThanOrEqual(
        HIGH_WATER_BYTES + (1 << 20),
      );
      client.ws.terminate();
      await waitFor(() => gateway.sessions.size === 0);
    });

    it('leaves no sockets, sessions or growing heap after 1,000 connect/disconnect cycles', async () => {
      await start();
      const gc = vm.runInNewContext('gc') as () => void;
      const cycle = async () => {
        const client = await open(VIEWER);
        await client.handshake();
        await client.roundTrip();
        await client.close();
      };
      let served = 0;
      const settle = async () => {
        await waitFor(
          () => rfb.openConnections() === 0 && gateway.sessions.size === 0,
        );
        served += rfb.forgetClosed(); // the recording server's own records are not the gateway's memory
        for (let i = 0; i < 3; i++) {
          await new Promise(r => setImmediate(r));
          gc();
        }
        return process.memoryUsage().heapUsed;
      };
      const openFds = () => fs.readdirSync('/proc/self/fd').length;
      for (let i = 0; i < 100; i++) await cycle(); // warm up JIT and pools
      const before = await settle();
      const handlesBefore = process.getActiveResourcesInfo().length;
      const fdsBefore = openFds();
      for (let i = 0; i < 1000; i++) await cycle();
      const after = await settle();
      expect(served).toBe(1100);
      expect(rfb.openConnections()).toBe(0);
      expect(gateway.sessions.size).toBe(0);
      expect(process.getActiveResourcesInfo().length).toBeLessThanOrEqual(
        handlesBefore,
      );
      // Sockets, and the native relay's duplicated descriptors and pipes: one
      // leaked per session would be 1,000; a few may belong to jest itself.
      expect(openFds()).toBeLessThan(fdsBefore + 10);
      const sessions = await runtimes.metrics.vncSessions.get();
      expect(sessions.values.every(v => v.value === 0)).toBe(true);
      // 1,000 sessions that leaked even 2 KiB each would exceed this.
      expect(after - before).toBeLessThan(2 << 20);
    });
  },
);

async function waitFor(condition: () => boolean) {
  while (!condition()) await new Promise(r => setTimeout(r, 20));
}

v8.setFlagsFromString('--expose-gc');
