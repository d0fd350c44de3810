import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { LocalRuntime, LocoRuntimes } from '@loco-portal/plugin-loco-node';
// Not in the package's index; the runtime's own tests build config the same way.
// eslint-disable-next-line @backstage/no-relative-monorepo-imports
import { parseLocalRuntimeConfig } from '../../../../../loco-node/src/local/localConfig';
import type { VncGateway } from '../VncGateway';
import { decodePng } from './decodePng';
import * as msg from './rfbClientMessages';
import { RfbTestClient } from './RfbTestClient';
import { createTestGateway, PLAYER, VIEWER } from './testGateway';

export { PLAYER, VIEWER };

/** Built by `scripts/prepare.sh` before the tests run. */
const DEMO_DISK = path.resolve(
  __dirname,
  '../../../../../../.cache/images/loco-demo.qcow2',
);

export async function until<T>(
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
 * One demo guest under a real QEMU (the local runtime, as in production) and
 * two gateways in front of it: one relaying screens natively, one in
 * JavaScript. Viewers (VIEWER) may watch, only PLAYER may control.
 * Registers its own beforeAll/afterAll.
 */
export function qemuGatewayBed(
  environment: string,
  options: { sound?: 'ac97' | 'es1370' | 'sb16' } = {},
) {
  let stateDir = '';
  const servers: http.Server[] = [];
  const gateways: VncGateway[] = [];
  const urls = new Map<boolean, string>();
  const bed = {
    runtime: undefined as unknown as LocalRuntime,

    /** The native (true) or JavaScript gateway itself, for its counters. */
    gateway(zeroCopy: boolean): VncGateway {
      return gateways[zeroCopy ? 0 : 1];
    },

    /** The screen's WebSocket URL on the native (true) or JavaScript gateway. */
    url(zeroCopy: boolean): string {
      return urls.get(zeroCopy)!;
    },

    /** The sound's WebSocket URL beside that screen. */
    audioUrl(zeroCopy: boolean): string {
      return bed.url(zeroCopy).replace(/\/vnc$/, '/audio');
    },

    /** A viewer (subprotocol token, as a browser) or the player (header). */
    open(user: string, zeroCopy: boolean): Promise<RfbTestClient> {
      const url = urls.get(zeroCopy)!;
      return user === VIEWER
        ? RfbTestClient.open(url, [
            'binary',
            `backstage-token.${mockCredentials.user.token()}`,
          ])
        : RfbTestClient.open(url, ['binary'], {
            Authorization: mockCredentials.user.header(user),
          });
    },

    /**
     * Hash of the guest's shell area (below the 9-row header, whose clock
     * ticks every second), leaving out the bottom scanlines of each text row
     * where the blinking cursor is drawn. Typed characters land in this area.
     * Undefined until the guest shows its shell.
     */
    async shellArea(): Promise<string | undefined> {
      // Until QMP answers, there is no screen to look at yet.
      const png = await bed.runtime
        .screenshot(environment, 0)
        .catch(() => undefined);
      if (!png) return undefined;
      const image = decodePng(png);
      if (image.width !== 720 || image.height !== 400) return undefined; // not in text mode yet
      // The guest's header (red banner rows) is drawn just before the shell.
      const banner = image.pixels.subarray(8 * image.width * image.channels);
      if (!(banner[0] > 100 && banner[1] < 60 && banner[2] < 60))
        return undefined;
      const hash = crypto.createHash('sha256');
      const stride = image.width * image.channels;
      for (let y = 9 * 16; y < image.height; y++) {
        if (y % 16 >= 13) continue;
        hash.update(image.pixels.subarray(y * stride, (y + 1) * stride));
      }
      return hash.digest('hex');
    },

    /**
     * The shell area once the guest is at its prompt and nothing moved for
     * 3 s. Booting to the prompt under TCG takes a while on a busy machine.
     */
    async settledShell(timeoutMs = 180_000): Promise<string> {
      let previous: string | undefined;
      let same = 0;
      return until(async () => {
        const now = await bed.shellArea();
        same = now !== undefined && now === previous ? same + 1 : 0;
        previous = now;
        return same >= 12 ? now : undefined;
      }, timeoutMs);
    },

    /**
     * Asks `client`'s screen for a small update and reads it (raw 32-bit
     * rectangles, QEMU's default without SetEncodings). QEMU handles a
     * connection's messages in order: once it arrives, every key sent
     * before was injected, or dropped.
     */
    async keysHandled(client: RfbTestClient): Promise<void> {
      client.send(msg.framebufferUpdateRequest(0, 16, 16));
      const head = await client.read(4);
      expect(head[0]).toBe(0);
      for (let i = head.readUInt16BE(2); i > 0; i--) {
        const rect = await client.read(12);
        await client.read(rect.readUInt16BE(4) * rect.readUInt16BE(6) * 4);
      }
    },

    /**
     * Expects the shell area to stay `settled` for 3 s: the time the guest
     * needs to echo a key (the tests show with a player that it does).
     */
    async expectShellStill(settled: string): Promise<void> {
      for (let i = 0; i < 12; i++) {
        await new Promise(r => setTimeout(r, 250));
        expect(await bed.shellArea()).toBe(settled);
      }
    },

    /** The shell area once it differs from `settled` (a key was echoed). */
    shellChangedFrom(settled: string, timeoutMs = 60_000): Promise<string> {
      return until(async () => {
        const now = await bed.shellArea();
        return now !== settled ? now : undefined;
      }, timeoutMs);
    },
  };

  beforeAll(async () => {
    if (!fs.existsSync(DEMO_DISK))
      throw new Error(
        `Demo disk missing at ${DEMO_DISK}: run scripts/prepare.sh`,
      );
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loco-gw-fuzz-'));
    bed.runtime = new LocalRuntime(
      // Through the runtime's own schema, so its defaults apply.
      parseLocalRuntimeConfig({
        stateDir,
        memoryMb: 128,
        ...(options.sound ? { sound: options.sound } : {}),
        images: { demo: { path: DEMO_DISK } },
        environments: [
          {
            name: environment,
            instances: 1,
            image: 'demo',
            storageMode: 'ephemeral',
          },
        ],
      }),
      mockServices.logger.mock(),
    );
    await bed.runtime.start();
    const runtimes = new LocoRuntimes([bed.runtime]);
    for (const zeroCopy of [true, false]) {
      const { gateway } = createTestGateway({
        runtimes,
        settings: { zeroCopy },
      });
      const server = http.createServer((_req, res) => res.writeHead(404).end());
      gateway.attach(server);
      await new Promise<void>(resolve =>
        server.listen(0, '127.0.0.1', resolve),
      );
      const { port } = server.address() as net.AddressInfo;
      urls.set(
        zeroCopy,
        `ws://127.0.0.1:${port}/api/loco/environments/${environment}/instances/0/vnc`,
      );
      gateways.push(gateway);
      servers.push(server);
    }
  });

  afterAll(async () => {
    gateways.forEach(g => g.close());
    for (const server of servers) {
      server.closeAllConnections();
      await new Promise(resolve => server.close(resolve));
    }
    await bed.runtime?.stop();
    if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
  });

  return bed;
}
