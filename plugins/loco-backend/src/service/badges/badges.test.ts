import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { createServiceFactory } from '@backstage/backend-plugin-api';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { summarizeStates } from '@loco-portal/plugin-loco-common';
import {
  LocoRuntimes,
  locoRuntimeServiceRef,
} from '@loco-portal/plugin-loco-node';
import request from 'supertest';
import { locoPlugin } from '../../plugin';
import { FakeEmulatorRuntime } from '../../__testUtils__/FakeEmulatorRuntime';
import { badgeContent, renderBadge } from './renderBadge';

async function startLoco(allow = true) {
  const runtime = new FakeEmulatorRuntime([
    { name: 'loco-demo', instances: 2, storageMode: 'ephemeral' },
  ]);
  const { server } = await startTestBackend({
    features: [
      locoPlugin,
      createServiceFactory({
        service: locoRuntimeServiceRef,
        deps: {},
        factory: () => new LocoRuntimes([runtime]),
      }),
      mockServices.httpAuth.factory({
        defaultCredentials: mockCredentials.none(),
      }),
      mockServices.permissions.factory({
        result: allow ? AuthorizeResult.ALLOW : AuthorizeResult.DENY,
      }),
      mockServices.rootConfig.factory({
        data: { app: { baseUrl: 'http://localhost:3000' } },
      }),
    ],
  });
  return server;
}

describe('health badges', () => {
  it('says "N/M healthy" with shields colours, and "unknown" without facts', () => {
    const summary = (states: any[]) => summarizeStates(states);
    expect(badgeContent(summary(['healthy', 'healthy']))).toEqual({
      label: 'loco',
      message: '2/2 healthy',
      colour: 'green',
    });
    expect(
      badgeContent(summary(['healthy', 'unhealthy', 'healthy'])).message,
    ).toBe('2/3 healthy');
    expect(badgeContent(summary(['healthy', 'unhealthy'])).colour).toBe(
      'yellow',
    );
    expect(badgeContent(summary(['unhealthy', 'unhealthy'])).colour).toBe(
      'red',
    );
    expect(badgeContent(null)).toMatchObject({
      message: 'unknown',
      colour: 'grey',
    });
    expect(badgeContent(summary([])).message).toBe('no instances');
  });

  it('renders a well-formed SVG that names label and message and escapes them', () => {
    const svg = renderBadge({
      label: 'loco',
      message: '<8/9> healthy',
      colour: 'green',
    });
    expect(svg).toMatch(
      /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="\d+" height="20"/,
    );
    expect(svg).toContain('<title>loco: &#60;8/9&#62; healthy</title>');
    expect(svg).not.toContain('<8/9>');
  });

  it('serves the environment badge to a signed-in user', async () => {
    const server = await startLoco();
    const res = await request(server)
      .get('/api/loco/badges/environments/loco-demo.svg')
      .set('Authorization', mockCredentials.user.header());
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^image\/svg\+xml/);
    expect(res.body.toString()).toContain('loco: 2/2 healthy');
  });

  it('accepts the user cookie (limited access), so docs can embed it as an image', async () => {
    const server = await startLoco();
    const res = await request(server)
      .get('/api/loco/badges/environments/loco-demo.svg')
      .set('Cookie', mockCredentials.limitedUser.cookie());
    expect(res.status).toBe(200);
  });

  it('refuses callers without credentials or without the read permission', async () => {
    const server = await startLoco();
    expect(
      (await request(server).get('/api/loco/badges/environments/loco-demo.svg'))
        .status,
    ).toBe(401);
    const denied = await startLoco(false);
    const res = await request(denied)
      .get('/api/loco/badges/environments/loco-demo.svg')
      .set('Authorization', mockCredentials.user.header());
    expect(res.status).toBe(403);
  });

  it('answers an unknown environment with a "not found" badge and bad names with 400', async () => {
    const server = await startLoco();
    const missing = await request(server)
      .get('/api/loco/badges/environments/nope.svg')
      .set('Authorization', mockCredentials.user.header());
    expect(missing.status).toBe(404);
    expect(missing.body.toString()).toContain('loco: not found');
    const bad = await request(server)
      .get('/api/loco/badges/environments/Bad_Name.svg')
      .set('Authorization', mockCredentials.user.header());
    expect(bad.status).toBe(400);
  });
});
