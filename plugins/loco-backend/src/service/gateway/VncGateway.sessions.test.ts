import fs from 'node:fs';
import v8 from 'node:v8';
import vm from 'node:vm';
import { CLOSE, HIGH_WATER_BYTES } from './VncSession';
import { RfbTestClient } from './__testUtils__/RfbTestClient';
import { ORIGIN, viewerProtocols } from './__testUtils__/gatewayTestBed';
import {
  gatewayTestBed,
  PLAYER,
  RELAYS,
  statusOf,
  VIEWER,
  waitFor,
} from './__testUtils__/gatewayTestBed';
import type { GatewaySettings } from './gatewayConfig';

jest.setTimeout(60_000);

// Who may connect, how sessions carry screens, and how they end.
describe.each(RELAYS)(
  'VncGateway sessions, screens through %s',
  (_, zeroCopy) => {
    const bed = gatewayTestBed();
    const start = (settings: Partial<GatewaySettings> = {}) =>
      bed.start({ zeroCopy, ...settings });

    it('carries a large screen update byte-exact, interleaved with small ones, and counts its bytes', async () => {
      await start();
      // The native relay is built by `npm install` (bootstrap requires it).
      expect(bed.gateway.spliceRelay).toMatchObject({ available: zeroCopy });
      const client = await bed.open(PLAYER);
      await client.handshake();
      const serverSide = bed.rfb.connections[0].socket;
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
      const scrape = await bed.runtimes.metrics.registry.getMetricsAsJSON();
      const bytes = scrape.find(m => m.name === 'loco_vnc_bytes_total')!;
      const byDirection = Object.fromEntries(
        bytes.values.map(v => [v.labels.direction, v.value]),
      );
      expect(byDirection.to_client).toBeGreaterThanOrEqual(screen.length);
      // The viewer's handshake: version, security type, ClientInit.
      expect(byDirection.to_server).toBeGreaterThanOrEqual(14);
      await client.close();
    });

    it('refuses a foreign Origin with 403, missing tokens with 401, unknown instances with 404', async () => {
      await start();
      expect(
        await statusOf(
          bed.open(VIEWER, '', { Origin: 'https://evil.example' }),
        ),
      ).toBe(403);
      expect(
        await statusOf(
          RfbTestClient.open(bed.url, ['binary'], { Origin: ORIGIN }),
        ),
      ).toBe(401);
      expect(await statusOf(RfbTestClient.open(bed.url, ['binary']))).toBe(401);
      expect(
        await statusOf(
          RfbTestClient.open(
            bed.url.replace('gw-env', 'no-such-env'),
            viewerProtocols(),
          ),
        ),
      ).toBe(404);
      const ok = await bed.open(VIEWER, '', { Origin: ORIGIN });
      await ok.handshake();
      await ok.close();
      const rejected = await bed.runtimes.metrics.vncRejectedUpgrades.get();
      expect(
        Object.fromEntries(
          rejected.values.map(v => [v.labels.status, v.value]),
        ),
      ).toEqual({
        '401': 2,
        '403': 1,
        '404': 1,
      });
      expect(bed.rfb.connections).toHaveLength(1);
    });

    it('caps sessions per user, says why in the close frame a browser can read, and frees the slot when a session ends', async () => {
      await start({ maxSessionsPerUser: 2 });
      const a = await bed.open(VIEWER);
      const b = await bed.open(VIEWER);
      const refused = await bed.open(VIEWER);
      expect(await refused.closed).toBe(CLOSE.tooManySessions);
      expect(refused.closeReason).toBe(
        'too many screens open: at most 2 per user',
      );
      // No VNC connection was opened for it.
      expect(bed.rfb.connections).toHaveLength(2);
      const other = await bed.open(PLAYER);
      await a.close();
      await waitFor(() => bed.gateway.sessions.sessionsOf(VIEWER) === 1);
      const c = await bed.open(VIEWER);
      await Promise.all([b.close(), c.close(), other.close()]);
    });

    it('tears down both sides: the server closing ends the viewer, the viewer leaving ends the server connection', async () => {
      await start();
      const one = await bed.open(VIEWER);
      await one.handshake();
      bed.rfb.connections[0].socket.destroy();
      expect(await one.closed).toBe(CLOSE.normal);

      const two = await bed.open(VIEWER);
      await two.handshake();
      two.ws.terminate();
      await waitFor(() => bed.rfb.openConnections() === 0);
      await waitFor(() => bed.gateway.sessions.size === 0);
    });

    it('ends cleanly when the viewer closes while the screen is streaming', async () => {
      await start();
      const client = await bed.open(VIEWER);
      await client.handshake();
      const serverSide = bed.rfb.connections[0].socket;
      const block = Buffer.alloc(64 << 10, 7);
      let streaming = true;
      const pump = () => {
        while (streaming && serverSide.write(block));
        if (streaming) serverSide.once('drain', pump);
      };
      serverSide.once('close', () => (streaming = false));
      pump();
      await client.read(1 << 20);
      // The close handshake completes and the VNC connection is released even
      // with screen data still coming (SplicedBrowserSocket.test checks that no
      // data frame follows the close frame on the native relay).
      client.ws.close(CLOSE.normal);
      expect(await client.closed).toBe(CLOSE.normal);
      await waitFor(() => bed.rfb.openConnections() === 0);
      streaming = false;
    });

    it('closes a viewer that sends nothing for the idle timeout', async () => {
      await start({ idleTimeoutMs: 300, heartbeatIntervalMs: 100 });
      const client = await bed.open(VIEWER);
      await client.handshake();
      expect(await client.closed).toBe(CLOSE.idle);
      await waitFor(() => bed.rfb.openConnections() === 0);
    });

    it('stops reading VNC while the viewer does not read (backpressure)', async () => {
      await start();
      const client = await bed.open(PLAYER);
      await client.handshake();
      // The viewer stops reading; the server tries to push 256 MiB.
      (client.ws as any)._socket.pause();
      const serverSide = bed.rfb.connections[0].socket;
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
      const [session] = (bed.gateway.sessions as any).sessions as Set<any>;
      expect(session.o.ws.bufferedAmount).toBeLessThanOrEqual(
        HIGH_WATER_BYTES + (1 << 20),
      );
      client.ws.terminate();
      await waitFor(() => bed.gateway.sessions.size === 0);
    });

    it('leaves no sockets, sessions or growing heap after 1,000 connect/disconnect cycles', async () => {
      await start();
      const gc = vm.runInNewContext('gc') as () => void;
      const cycle = async () => {
        const client = await bed.open(VIEWER);
        await client.handshake();
        await client.roundTrip();
        await client.close();
      };
      let served = 0;
      const settle = async () => {
        await waitFor(
          () =>
            bed.rfb.openConnections() === 0 && bed.gateway.sessions.size === 0,
        );
        served += bed.rfb.forgetClosed(); // the recording server's own records are not the gateway's memory
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
      expect(bed.rfb.openConnections()).toBe(0);
      expect(bed.gateway.sessions.size).toBe(0);
      // Handles (sockets, timers) and descriptors (sockets, the native relay's
      // duplicates and pipes): one leaked per session would be 1,000; a few
      // short-lived ones (a close timer still pending) are not a leak.
      expect(process.getActiveResourcesInfo().length).toBeLessThan(
        handlesBefore + 10,
      );
      expect(openFds()).toBeLessThan(fdsBefore + 10);
      const sessions = await bed.runtimes.metrics.vncSessions.get();
      expect(sessions.values.every(v => v.value === 0)).toBe(true);
      // 1,000 sessions that leaked even 4 KiB each (a session's sockets,
      // filter and buffers are far more) would exceed this; heap noise beside
      // a full CI run has reached 2.2 MB.
      expect(after - before).toBeLessThan(4 << 20);
    });
  },
);

v8.setFlagsFromString('--expose-gc');
