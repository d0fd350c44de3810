import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { LocalRuntime, LocoRuntimes } from '@loco-portal/plugin-loco-node';
// Not in the package's index; the runtime's own tests build config the same way.
// eslint-disable-next-line @backstage/no-relative-monorepo-imports
import { parseLocalRuntimeConfig } from '../../../../loco-node/src/local/localConfig';
import { GATEWAY_DEFAULTS } from './gatewayConfig';
import { VncGateway } from './VncGateway';
import { decodePng } from './__testUtils__/decodePng';
import { RfbTestClient } from './__testUtils__/RfbTestClient';
import * as msg from './__testUtils__/rfbClientMessages';
import { RecordingAuditor } from '../../__testUtils__/RecordingAuditor';

/** Built by `scripts/prepare.sh` before the tests run. */
const DEMO_DISK = path.resolve(
  __dirname,
  '../../../../../.cache/images/loco-demo.qcow2',
);
const PORT = 7102;
const ENV = 'gw-test';
const PLAYER = 'user:default/player';

jest.setTimeout(240_000);

async function until<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise(r => setTimeout(r, 250));
  }
}

/**
 * Hash of the guest's shell area (below the 9-row header, whose clock ticks
 * every second), leaving out the bottom scanlines of each text row where the
 * blinking cursor is drawn. Typed characters land in this area.
 */
async function shellArea(runtime: LocalRuntime): Promise<string | undefined> {
  // Until QMP answers, there is no screen to look at yet.
  const png = await runtime.screenshot(ENV, 0).catch(() => undefined);
  if (!png) return undefined;
  const image = decodePng(png);
  if (image.width !== 720 || image.height !== 400) return undefined; // not in text mode yet
  // The guest's header (red banner rows) is drawn once /init is up, just before the shell.
  const banner = image.pixels.subarray(8 * image.width * image.channels);
  if (!(banner[0] > 100 && banner[1] < 60 && banner[2] < 60)) return undefined;
  const hash = crypto.createHash('sha256');
  const stride = image.width * image.channels;
  for (let y = 9 * 16; y < image.height; y++) {
    if (y % 16 >= 13) continue;
    hash.update(image.pixels.subarray(y * stride, (y + 1) * stride));
  }
  return hash.digest('hex');
}

/** "echo hi" + Return as key presses, in both RFB key event forms. */
function typing(): Buffer[] {
  const keysyms = [...'echo hi'].map(c => c.charCodeAt(0)).concat(0xff0d);
  return keysyms
    .flatMap(k => [msg.keyEvent(true, k), msg.keyEvent(false, k)])
    .concat(
      // QEMU extended key event: 'x' by scancode 0x2d, then Return 0x1c.
      msg.qemuExtendedKey(true, 0x78, 0x2d),
      msg.qemuExtendedKey(false, 0x78, 0x2d),
      msg.qemuExtendedKey(true, 0xff0d, 0x1c),
      msg.qemuExtendedKey(false, 0xff0d, 0x1c),
      msg.pointerEvent(1, 100, 300),
      msg.pointerEvent(0, 100, 300),
    );
}

/** Reads one FramebufferUpdate of raw 32-bit rectangles (QEMU's default without SetEncodings). */
async function readUpdate(client: RfbTestClient) {
  const head = await client.read(4);
  expect(head[0]).toBe(0);
  for (let i = head.readUInt16BE(2); i > 0; i--) {
    const rect = await client.read(12);
    await client.read(rect.readUInt16BE(4) * rect.readUInt16BE(6) * 4);
  }
}

describe('VncGateway on a real QEMU', () => {
  let stateDir: string;
  let runtime: LocalRuntime;
  let server: http.Server;
  let gateway: VncGateway;

  beforeAll(async () => {
    if (!fs.existsSync(DEMO_DISK))
      throw new Error(
        `Demo disk missing at ${DEMO_DISK}: run scripts/prepare.sh`,
      );
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loco-gw-qemu-'));
    runtime = new LocalRuntime(
      // Through the runtime's own schema, so its defaults apply.
      parseLocalRuntimeConfig({
        stateDir,
        memoryMb: 128,
        images: { demo: { path: DEMO_DISK } },
        environments: [
          { name: ENV, instances: 1, image: 'demo', storageMode: 'ephemeral' },
        ],
      }),
      mockServices.logger.mock(),
    );
    await runtime.start();
    gateway = new VncGateway({
      basePath: '/api/loco',
      allowedOrigin: 'http://localhost:3000',
      runtimes: new LocoRuntimes([runtime]),
      httpAuth: mockServices.httpAuth({
        defaultCredentials: mockCredentials.none(),
      }),
      permissions: mockServices.permissions.mock({
        authorize: async (requests, options) =>
          requests.map(r => ({
            result:
              r.permission.name === 'loco.environment.read' ||
              (options.credentials.principal as any).userEntityRef === PLAYER
                ? AuthorizeResult.ALLOW
                : AuthorizeResult.DENY,
          })) as any,
      }),
      logger: mockServices.logger.mock(),
      auditor: new RecordingAuditor(),
      settings: GATEWAY_DEFAULTS,
    });
    server = http.createServer((_req, res) => res.writeHead(404).end());
    gateway.attach(server);
    await new Promise<void>(resolve =>
      server.listen(PORT, '127.0.0.1', resolve),
    );
  });

  afterAll(async () => {
    gateway?.close();
    if (server) await new Promise(resolve => server.close(resolve));
    await runtime?.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it("does not change the guest's screen when a view-only viewer types, and does for a player", async () => {
    // Booted to the shell, and the shell area has settled.
    // Booted to the shell prompt: header drawn, the shell area unchanged for 3 s.
    let previous: string | undefined;
    let same = 0;
    const settled = await until(async () => {
      const now = await shellArea(runtime);
      same = now !== undefined && now === previous ? same + 1 : 0;
      previous = now;
      return same >= 12 ? now : undefined;
    }, 180_000);

    const url = `ws://127.0.0.1:${PORT}/api/loco/environments/${ENV}/instances/0/vnc`;
    const viewer = await RfbTestClient.open(url, [
      'binary',
      `backstage-token.${mockCredentials.user.token()}`,
    ]);
    await viewer.handshake();
    for (const m of typing()) viewer.send(m);
    // QEMU handles messages in order: once this update arrives, any key before it was injected.
    viewer.send(msg.framebufferUpdateRequest(0, 16, 16));
    await readUpdate(viewer);
    // Give the guest the time it needs to echo a key (the player below shows it does), and check nothing moved.
    for (let i = 0; i < 12; i++) {
      await new Promise(r => setTimeout(r, 250));
      const now = await shellArea(runtime);
      expect(now).toBe(settled);
    }
    await viewer.close();

    const player = await RfbTestClient.open(url, ['binary'], {
      Authorization: mockCredentials.user.header(PLAYER),
    });
    await player.handshake();
    for (const m of typing()) player.send(m);
    const changed = await until(async () => {
      const now = await shellArea(runtime);
      return now !== settled ? now : undefined;
    }, 60_000);
    expect(changed).not.toBe(settled);
    await player.close();
  });
});
