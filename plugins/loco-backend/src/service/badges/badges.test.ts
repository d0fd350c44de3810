import { mockCredentials } from '@backstage/backend-test-utils';
import { summarizeStates } from '@loco-portal/plugin-loco-common';
import type { JsonObject } from '@backstage/types';
import type { Server } from 'node:http';
import request from 'supertest';
import { startLocoTestBackend } from '../../__testUtils__/startLocoTestBackend';
import { badgeContent, renderBadge } from './renderBadge';

async function startLoco(allow = true, locoConfig: JsonObject = {}) {
  const { server, runtime } = await startLocoTestBackend({
    environments: [
      { name: 'loco-demo', instances: 2, storageMode: 'ephemeral' },
      { name: 'loco-other', instances: 3, storageMode: 'ephemeral' },
    ],
    permit: () => allow,
    config: { loco: locoConfig },
  });
  return { server, runtime };
}

/** Asks for an environment's public badge address as a signed-in reader; returns its path. */
async function publicBadgePath(server: Server, env: string): Promise<string> {
  const res = await request(server)
    .get(`/api/loco/badges/environments/${env}/public`)
    .set('Authorization', mockCredentials.user.header());
  expect(res.status).toBe(200);
  return new URL(res.body.url).pathname;
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
    const { server } = await startLoco();
    const res = await request(server)
      .get('/api/loco/badges/environments/loco-demo.svg')
      .set('Authorization', mockCredentials.user.header());
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^image\/svg\+xml/);
    expect(res.body.toString()).toContain('loco: 2/2 healthy');
  });

  it('accepts the user cookie (limited access), so docs can embed it as an image', async () => {
    const { server } = await startLoco();
    const res = await request(server)
      .get('/api/loco/badges/environments/loco-demo.svg')
      .set('Cookie', mockCredentials.limitedUser.cookie());
    expect(res.status).toBe(200);
  });

  it('refuses callers without credentials or without the read permission', async () => {
    const { server } = await startLoco();
    expect(
      (await request(server).get('/api/loco/badges/environments/loco-demo.svg'))
        .status,
    ).toBe(401);
    const { server: denied } = await startLoco(false);
    const res = await request(denied)
      .get('/api/loco/badges/environments/loco-demo.svg')
      .set('Authorization', mockCredentials.user.header());
    expect(res.status).toBe(403);
  });

  it('answers an unknown environment with a "not found" badge and bad names with 400', async () => {
    const { server } = await startLoco();
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

  describe('public badges', () => {
    it('serve the health counts, with no Backstage session, from an address that names nothing', async () => {
      const { server } = await startLoco();
      const path = await publicBadgePath(server, 'loco-demo');
      expect(path).toMatch(
        /^\/api\/loco\/badges\/public\/[A-Za-z0-9_-]{22}\.svg$/,
      );
      expect(path).not.toContain('loco-demo');
      // The address is stable: the README keeps working.
      expect(await publicBadgePath(server, 'loco-demo')).toBe(path);

      const res = await request(server).get(path); // no credentials at all
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^image\/svg\+xml/);
      const svg = res.body.toString();
      expect(svg).toContain('loco: 2/2 healthy');
      expect(svg).not.toContain('loco-demo');
    });

    it('give every environment its own random address, not one derived from its name', async () => {
      const { server } = await startLoco();
      const demo = await publicBadgePath(server, 'loco-demo');
      const other = await publicBadgePath(server, 'loco-other');
      expect(other).not.toBe(demo);
      expect((await request(server).get(other)).body.toString()).toContain(
        'loco: 3/3 healthy',
      );
      // Another portal (its own database) gives the same name another address.
      const { server: second } = await startLoco();
      expect(await publicBadgePath(second, 'loco-demo')).not.toBe(demo);
    });

    it('answer a guessed address like a missing environment, and a malformed one with 400', async () => {
      const { server } = await startLoco();
      await publicBadgePath(server, 'loco-demo');
      const guessed = await request(server).get(
        `/api/loco/badges/public/${'A'.repeat(22)}.svg`,
      );
      expect(guessed.status).toBe(404);
      expect(guessed.body.toString()).toContain('loco: not found');
      const malformed = await request(server).get(
        '/api/loco/badges/public/loco-demo.svg',
      );
      expect(malformed.status).toBe(400);
    });

    it('stop showing health once the environment is gone', async () => {
      const { server, runtime } = await startLoco();
      const path = await publicBadgePath(server, 'loco-demo');
      await runtime.destroyEnvironment('loco-demo');
      const res = await request(server).get(path);
      expect(res.status).toBe(404);
      expect(res.body.toString()).toContain('loco: not found');
    });

    it('are handed out only to signed-in readers, and only for environments that exist', async () => {
      const { server } = await startLoco();
      expect(
        (
          await request(server).get(
            '/api/loco/badges/environments/loco-demo/public',
          )
        ).status,
      ).toBe(401);
      const cookieOnly = await request(server)
        .get('/api/loco/badges/environments/loco-demo/public')
        .set('Cookie', mockCredentials.limitedUser.cookie());
      expect(cookieOnly.status).toBe(401);
      const missing = await request(server)
        .get('/api/loco/badges/environments/nope/public')
        .set('Authorization', mockCredentials.user.header());
      expect(missing.status).toBe(404);
      const { server: denied } = await startLoco(false);
      const refused = await request(denied)
        .get('/api/loco/badges/environments/loco-demo/public')
        .set('Authorization', mockCredentials.user.header());
      expect(refused.status).toBe(403);
    });

    it('can be turned off with loco.badges.public: false', async () => {
      const { server } = await startLoco(true, { badges: { public: false } });
      const res = await request(server)
        .get('/api/loco/badges/environments/loco-demo/public')
        .set('Authorization', mockCredentials.user.header());
      expect(res.status).toBe(404);
      expect(
        (
          await request(server).get(
            `/api/loco/badges/public/${'A'.repeat(22)}.svg`,
          )
        ).status,
      ).toBe(401);
    });
  });
});
