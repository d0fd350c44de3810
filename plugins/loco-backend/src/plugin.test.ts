import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { LocoRuntimes } from '@loco-portal/plugin-loco-node';
import net from 'node:net';
import request from 'supertest';
import WebSocket from 'ws';
import { startLocoTestBackend } from './__testUtils__/startLocoTestBackend';
import { createRouter } from './service/router';
import { createMetricsRouter } from './service/metricsRouter';
import { createOptionsRouter } from './service/optionsRouter';
import { createPublishRouter } from './service/publishRouter';
import { createBadgesRouter } from './service/badges/badgesRouter';
import { createSeatsRouter } from './service/seats/seatsRouter';
import type { Seats } from './service/seats/Seats';
import { readProvisioningSettings } from '@loco-portal/plugin-loco-node';

/** Read as asked; control only when `control` is set. */
function startLoco(options: { allow?: boolean; control?: boolean } = {}) {
  return startLocoTestBackend({
    permit: name =>
      options.allow !== false &&
      (name !== 'loco.instance.control' || options.control !== false),
  });
}

/** Every route the router declares, with its parameters filled in. */
/**
 * Every route of every router the plugin mounts, with its parameters filled in.
 * A route added to any of these routers is checked without touching this test.
 */
async function declaredRoutes() {
  const deps = {
    runtimes: new LocoRuntimes([]),
    httpAuth: mockServices.httpAuth(),
    permissions: mockServices.permissions(),
  };
  const routers: any[] = [
    await createRouter({ ...deps, auditor: mockServices.auditor.mock() }),
    await createMetricsRouter(deps),
    await createSeatsRouter({
      ...deps,
      auditor: mockServices.auditor.mock(),
      // Only enumerated here: the requests go to the started backend.
      seats: {} as Seats,
    }),
    await createPublishRouter({
      ...deps,
      auditor: mockServices.auditor.mock(),
    }),
    await createOptionsRouter({
      ...deps,
      settings: readProvisioningSettings(mockServices.rootConfig()),
    }),
    // Without publicIds: the public badge route is the one route meant to
    // answer without a session (badges.test.ts covers what it reveals).
    await createBadgesRouter({
      ...deps,
      logger: mockServices.logger.mock(),
      externalBaseUrl: 'http://localhost/api/loco',
    }),
  ];
  return routers.flatMap(router =>
    router.stack
      .filter((layer: any) => layer.route)
      .flatMap((layer: any) =>
        Object.keys(layer.route.methods).map(method => ({
          method,
          path: `/api/loco${layer.route.path
            .replace(':env', 'loco-demo')
            .replace(':index', '0')
            .replace(':action', 'restart')}`,
        })),
      ),
  );
}

/** Opens a VNC WebSocket: the refusal's status, or the server's greeting. */
function connectTo(
  url: string,
  protocols: string[],
  headers: Record<string, string> = {},
) {
  return new Promise<{ status?: number; greeting?: string }>(resolve => {
    const ws = new WebSocket(url, protocols, { headers });
    ws.once('unexpected-response', (_req, res) =>
      resolve({ status: res.statusCode }),
    );
    ws.once('message', data => {
      resolve({ greeting: data.toString() });
      ws.close();
    });
    ws.once('error', () => undefined);
  });
}

describe('loco backend plugin', () => {
  it('lists environments with each instance, its state and the facts behind it', async () => {
    const { server } = await startLoco();
    const res = await request(server)
      .get('/api/loco/environments')
      .set('Authorization', mockCredentials.user.header());
    expect(res.status).toBe(200);
    expect(res.body.errors).toEqual([]);
    const [env] = res.body.items;
    expect(env.name).toBe('loco-demo');
    expect(env.instances[1]).toMatchObject({
      index: 1,
      name: 'loco-demo-1',
      state: 'healthy',
      health: { facts: { qmpStatus: 'running' } },
    });
  });

  it('refuses every declared route without credentials', async () => {
    const { server } = await startLoco();
    const routes = await declaredRoutes();
    expect(routes.length).toBeGreaterThanOrEqual(8);
    for (const route of routes) {
      const res = await (request(server) as any)[route.method](route.path);
      expect({ route, status: res.status }).toEqual({ route, status: 401 });
    }
  });

  it('refuses signed-in users without the read permission', async () => {
    const { server } = await startLoco({ allow: false });
    const res = await request(server)
      .get('/api/loco/environments/loco-demo')
      .set('Authorization', mockCredentials.user.header());
    expect(res.status).toBe(403);
  });

  it('rejects bad parameters with a clear 400 and runs nothing', async () => {
    const { server, runtime } = await startLoco();
    const res = await request(server)
      .post('/api/loco/environments/loco-demo/instances/99/actions/restart')
      .set('Authorization', mockCredentials.user.header());
    expect(res.status).toBe(400);
    expect(res.body.error.name).toBe('InputError');
    const bad = await request(server)
      .post('/api/loco/environments/loco-demo/instances/0/actions/format-disk')
      .set('Authorization', mockCredentials.user.header());
    expect(bad.status).toBe(400);
    expect(runtime.actions).toEqual([]);
  });

  it('records every instance action in the audit log with its actor and outcome, refusals included', async () => {
    const watcher = await startLoco({ control: false });
    await request(watcher.server)
      .post('/api/loco/environments/loco-demo/instances/1/actions/reset')
      .set('Authorization', mockCredentials.user.header());
    expect(watcher.audit.events).toEqual([
      {
        eventId: 'instance-action',
        severityLevel: 'medium',
        meta: { environment: 'loco-demo', instance: 1, action: 'reset' },
        actorFromRequest: true,
        outcome: 'failed',
        error: 'Missing permission loco.instance.control',
      },
    ]);

    const player = await startLoco();
    await request(player.server)
      .post('/api/loco/environments/loco-demo/instances/0/actions/restart')
      .set('Authorization', mockCredentials.user.header());
    expect(player.audit.events).toEqual([
      {
        eventId: 'instance-action',
        severityLevel: 'medium',
        meta: { environment: 'loco-demo', instance: 0, action: 'restart' },
        actorFromRequest: true,
        outcome: 'succeeded',
      },
    ]);
  });

  it('answers a caller without credentials 401 before it looks at the action or the body', async () => {
    const { server, runtime } = await startLoco();
    const unknownAction = await request(server).post(
      '/api/loco/environments/loco-demo/instances/0/actions/format-disk',
    );
    expect(unknownAction.status).toBe(401);
    expect(JSON.stringify(unknownAction.body)).not.toMatch(/restart|reset/);
    const malformedBody = await request(server)
      .post('/api/loco/environments/loco-demo/instances/0/actions/restart')
      .set('Content-Type', 'application/json')
      .send('{"probe": <script>');
    expect(malformedBody.status).toBe(401);
    expect(malformedBody.text).not.toContain('<script>');
    expect(runtime.actions).toEqual([]);
  });

  it.each(['0x1', '1e0', '+1', '%20', '01', '1.0', '-0'])(
    'refuses the instance index %j on HTTP routes and the VNC upgrade alike',
    async index => {
      const { server, runtime } = await startLoco();
      const base = '/api/loco/environments/loco-demo/instances';
      const action = await request(server)
        .post(`${base}/${index}/actions/restart`)
        .set('Authorization', mockCredentials.user.header());
      expect(action.status).toBe(400);
      const screenshot = await request(server)
        .get(`${base}/${index}/screenshot`)
        .set('Authorization', mockCredentials.user.header());
      expect(screenshot.status).toBe(400);
      expect(runtime.actions).toEqual([]);
      const token = mockCredentials.user.token();
      const port = (server.address() as any).port;
      expect(
        await connectTo(`ws://localhost:${port}${base}/${index}/vnc`, [
          'binary',
          `backstage-token.${token}`,
        ]),
      ).toEqual({ status: 404 });
      // The same instance written plainly is found by both.
      expect(
        await connectTo(`ws://localhost:${port}${base}/1/vnc`, [
          'binary',
          `backstage-token.${token}`,
        ]),
      ).toEqual({ greeting: 'RFB 003.008\n' });
    },
  );

  it('lets only users with control reset or restore an instance', async () => {
    const watcher = await startLoco({ control: false });
    for (const action of ['reset', 'restore']) {
      const res = await request(watcher.server)
        .post(`/api/loco/environments/loco-demo/instances/0/actions/${action}`)
        .set('Authorization', mockCredentials.user.header());
      expect(res.status).toBe(403);
    }
    expect(watcher.runtime.actions).toEqual([]);

    const player = await startLoco();
    const res = await request(player.server)
      .post('/api/loco/environments/loco-demo/instances/0/actions/restore')
      .set('Authorization', mockCredentials.user.header());
    expect(res.status).toBe(202);
    expect(player.runtime.actions).toEqual([['loco-demo', 0, 'restore']]);
  });

  describe('VNC upgrade', () => {
    const connect = (
      port: number,
      protocols: string[],
      headers: Record<string, string> = {},
    ) =>
      connectTo(
        `ws://localhost:${port}/api/loco/environments/loco-demo/instances/0/vnc`,
        protocols,
        headers,
      );

    it('refuses an upgrade without a token with a plain 401', async () => {
      const { server } = await startLoco();
      const port = (server.address() as any).port;
      expect(await connect(port, ['binary'])).toEqual({ status: 401 });
    });

    it('bridges a signed-in user to the instance VNC server', async () => {
      const { server } = await startLoco();
      const port = (server.address() as any).port;
      const token = mockCredentials.user.token();
      expect(
        await connect(port, ['binary', `backstage-token.${token}`]),
      ).toEqual({
        greeting: 'RFB 003.008\n',
      });
    });

    it('refuses a page from another origin with 403, even with a valid token', async () => {
      const { server } = await startLoco();
      const port = (server.address() as any).port;
      const token = mockCredentials.user.token();
      const protocols = ['binary', `backstage-token.${token}`];
      expect(
        await connect(port, protocols, { Origin: 'https://evil.example' }),
      ).toEqual({ status: 403 });
      expect(
        await connect(port, protocols, { Origin: 'http://localhost:3000' }),
      ).toEqual({
        greeting: 'RFB 003.008\n',
      });
    });

    it('drops the input of a user without control before it reaches the VNC server', async () => {
      const { server, runtime } = await startLoco({ control: false });
      const port = (server.address() as any).port;
      const token = mockCredentials.user.token();
      const ws = new WebSocket(
        `ws://localhost:${port}/api/loco/environments/loco-demo/instances/0/vnc`,
        ['binary', `backstage-token.${token}`],
      );
      await new Promise(resolve => ws.once('open', resolve));
      const key = Buffer.from([4, 1, 0, 0, 0, 0, 0, 0x61]);
      const frameRequest = Buffer.from([3, 0, 0, 0, 0, 0, 0, 10, 0, 10]);
      ws.send(
        Buffer.concat([
          Buffer.from('RFB 003.008\n'),
          Buffer.from([1, 0]),
          key,
          frameRequest,
        ]),
      );
      const expected = Buffer.concat([
        Buffer.from('RFB 003.008\n'),
        Buffer.from([1, 1]),
        frameRequest,
      ]);
      while (Buffer.concat(runtime.vncReceived).length < expected.length) {
        await new Promise(r => setTimeout(r, 10));
      }
      ws.close();
      expect(Buffer.concat(runtime.vncReceived)).toEqual(expected);
    });

    it('answers upgrades to other paths once its listener is attached, and stops cleanly', async () => {
      const { server, backend } = await startLoco();
      const port = (server.address() as any).port;
      const token = mockCredentials.user.token();
      // Attaches the gateway's upgrade listener to the backend's server.
      await connect(port, ['binary', `backstage-token.${token}`]);
      const stray = await new Promise<string>(resolve => {
        const socket = net.connect(port, '127.0.0.1', () =>
          socket.write(
            'GET /api/catalog/entities HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\n' +
              'Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
          ),
        );
        const timer = setTimeout(() => resolve('no answer'), 3_000);
        socket.once('data', chunk => {
          clearTimeout(timer);
          socket.destroy();
          resolve(chunk.toString('latin1').split('\r\n')[0]);
        });
      });
      expect(stray).toMatch(/^HTTP\/1\.1 404 /);
      await backend.stop();
      expect(server.listening).toBe(false);
    });

    it('refuses with 403 when the user may not read the environment', async () => {
      const { server } = await startLoco({ allow: false });
      const port = (server.address() as any).port;
      const token = mockCredentials.user.token();
      expect(
        await connect(port, ['binary', `backstage-token.${token}`]),
      ).toEqual({ status: 403 });
    });
  });
});
