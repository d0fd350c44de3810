import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { mockCredentials } from '@backstage/backend-test-utils';
import {
  LocoRuntimes,
  type VncOpenOptions,
} from '@loco-portal/plugin-loco-node';
import { FakeEmulatorRuntime } from '../../../__testUtils__/FakeEmulatorRuntime';
import type { GatewaySettings } from '../gatewayConfig';
import type { VncGateway } from '../VncGateway';
import { RecordingRfbServer } from './RecordingRfbServer';
import { RfbTestClient } from './RfbTestClient';
import type { RecordingAuditor } from '../../../__testUtils__/RecordingAuditor';
import { createTestGateway, ORIGIN, PLAYER, VIEWER } from './testGateway';

export { ORIGIN, PLAYER, VIEWER };

const VNC_PATH = '/api/loco/environments/gw-env/instances/0/vnc';
/** What a browser offers: the token travels as a WebSocket subprotocol. */
export const viewerProtocols = () => [
  'binary',
  `backstage-token.${mockCredentials.user.token()}`,
];

/** Runtime double whose VNC streams reach the recording RFB server. */
class RecordingRuntime extends FakeEmulatorRuntime {
  /**
   * The gateway's ends of the VNC connections it holds open, in the order
   * opened. Closed ones are dropped: kept, 1,000 sessions' sockets would be
   * the bed's own heap growth in the session-leak test.
   */
  readonly opened: net.Socket[] = [];
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
    this.opened.push(socket);
    socket.once('close', () =>
      this.opened.splice(this.opened.indexOf(socket), 1),
    );
    return socket;
  }
}

/**
 * A real VncGateway on a real HTTP server in front of a recording RFB server,
 * with Backstage's mock auth: viewers may watch, only PLAYER may control.
 * Registers its own teardown (afterEach).
 */
export function gatewayTestBed() {
  let dir = '';
  let server: http.Server | undefined;
  const bed = {
    rfb: undefined as unknown as RecordingRfbServer,
    runtimes: undefined as unknown as LocoRuntimes,
    gateway: undefined as unknown as VncGateway,
    server: undefined as unknown as http.Server,
    auditor: undefined as unknown as RecordingAuditor,
    /** The gateway's ends of the VNC connections it holds open, in order. */
    vncSockets: [] as net.Socket[],
    /** The VNC URL of instance 0 (each test file's server has its own port). */
    url: '',

    async start(
      settings: Partial<GatewaySettings> = {},
      gatewayOptions: { unclaimedUpgradeTimeoutMs?: number } = {},
    ) {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loco-gw-'));
      bed.rfb = new RecordingRfbServer();
      await bed.rfb.listen(path.join(dir, 'vnc.sock'));
      const runtime = new RecordingRuntime(path.join(dir, 'vnc.sock'));
      bed.vncSockets = runtime.opened;
      bed.runtimes = new LocoRuntimes([runtime]);
      ({ gateway: bed.gateway, auditor: bed.auditor } = createTestGateway({
        runtimes: bed.runtimes,
        settings,
        ...gatewayOptions,
      }));
      // Like Backstage's router: paths nobody serves are answered 404.
      server = http.createServer((_req, res) => res.writeHead(404).end());
      bed.server = server;
      bed.gateway.attach(server);
      await new Promise<void>(resolve =>
        server!.listen(0, '127.0.0.1', resolve),
      );
      const { port } = server.address() as net.AddressInfo;
      bed.url = `ws://127.0.0.1:${port}${VNC_PATH}`;
    },

    /** The viewer authenticates like the browser (subprotocol), the player like a CLI (header). */
    open(user: string, query = '', headers: Record<string, string> = {}) {
      return user === VIEWER
        ? RfbTestClient.open(`${bed.url}${query}`, viewerProtocols(), headers)
        : RfbTestClient.open(`${bed.url}${query}`, ['binary'], {
            Authorization: mockCredentials.user.header(user),
            ...headers,
          });
    },
  };

  afterEach(async () => {
    bed.gateway?.close();
    server?.closeAllConnections();
    await new Promise(resolve => (server ? server.close(resolve) : resolve(0)));
    await bed.rfb?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return bed;
}

/** The HTTP status an upgrade was refused with, or 200. */
export const statusOf = (p: Promise<unknown>) =>
  p.then(
    () => 200,
    (e: { status?: number }) => e.status,
  );

export async function waitFor(condition: () => boolean) {
  while (!condition()) await new Promise(r => setTimeout(r, 20));
}

/** Both relays run every gateway test. */
export const RELAYS = [
  ['the native splice relay', true],
  ['the JavaScript relay', false],
] as const;
