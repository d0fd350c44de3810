import { mockCredentials } from '@backstage/backend-test-utils';
import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { Router } from 'express';
import request from 'supertest';
import WebSocket, { WebSocketServer } from 'ws';
import { startLocoTestBackend } from './__testUtils__/startLocoTestBackend';

/**
 * Test double of Backstage's signals backend as far as upgrades go (its
 * service/router.ts): the first WebSocket request that reaches its router
 * subscribes a server `upgrade` listener that ignores every path but its own.
 * Every app made by @backstage/create-app runs it, and its frontend connects
 * on load, so it listens before the Loco tab opens a tile.
 */
const signalsDouble = createBackendPlugin({
  pluginId: 'signals',
  register(env) {
    env.registerInit({
      deps: { httpRouter: coreServices.httpRouter },
      async init({ httpRouter }) {
        const wss = new WebSocketServer({ noServer: true });
        let subscribed = false;
        // Inside the router Express strips the mount path from req.url.
        const own = (req: IncomingMessage & { originalUrl?: string }) =>
          (req.originalUrl ?? req.url) === '/api/signals';
        const onUpgrade = (
          req: IncomingMessage,
          socket: Duplex,
          head: Buffer,
        ) => {
          if (!own(req)) return;
          wss.handleUpgrade(req, socket, head, ws => ws.send('signals'));
        };
        const router = Router();
        router.use((req, _res, next) => {
          const server = (req.socket as unknown as { server?: Server }).server;
          if (subscribed || !server || req.headers.upgrade !== 'websocket') {
            next();
            return;
          }
          subscribed = true;
          server.on('upgrade', onUpgrade);
          onUpgrade(req, req.socket, Buffer.alloc(0));
        });
        httpRouter.addAuthPolicy({ path: '/', allow: 'unauthenticated' });
        httpRouter.use(router);
      },
    });
  },
});

/** The first message a WebSocket receives, or 'no answer' after `waitMs`. */
function firstMessage(url: string, protocols: string[] = [], waitMs = 3_000) {
  return new Promise<string>(resolve => {
    const ws = new WebSocket(url, protocols);
    const timer = setTimeout(() => {
      ws.terminate();
      resolve('no answer');
    }, waitMs);
    ws.once('message', data => {
      clearTimeout(timer);
      ws.close();
      resolve(data.toString());
    });
    ws.once('unexpected-response', (_req, res) => {
      clearTimeout(timer);
      resolve(`status ${res.statusCode}`);
    });
    ws.once('error', () => undefined);
  });
}

describe('loco backend plugin beside the signals backend', () => {
  it('bridges a tile when signals subscribed to upgrades first, as in a generated app', async () => {
    const { server, port } = await startLocoTestBackend({
      environments: [
        { name: 'loco-demo', instances: 1, storageMode: 'ephemeral' },
      ],
      features: [signalsDouble],
    });
    const token = mockCredentials.user.token();

    // The app's frontend connects to signals on load.
    expect(await firstMessage(`ws://localhost:${port}/api/signals`)).toBe(
      'signals',
    );
    // The Loco tab lists the environments, then opens a tile.
    await request(server)
      .get('/api/loco/environments')
      .set('Authorization', `Bearer ${token}`)
      .expect(200);
    expect(
      await firstMessage(
        `ws://localhost:${port}/api/loco/environments/loco-demo/instances/0/vnc`,
        ['binary', `backstage-token.${token}`],
      ),
    ).toBe('RFB 003.008\n');
    // Signals still answers its own upgrades.
    expect(await firstMessage(`ws://localhost:${port}/api/signals`)).toBe(
      'signals',
    );
  }, 20_000);
});
