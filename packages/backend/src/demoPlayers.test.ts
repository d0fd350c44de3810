import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import authPlugin from '@backstage/plugin-auth-backend';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import type { AddressInfo } from 'node:net';
import demoPlayers, { DEMO_PLAYER_HEADER } from './demoPlayers';

const player = (name: string) => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'User',
  metadata: { name, namespace: 'default' },
  spec: { memberOf: ['players'] },
  relations: [{ type: 'memberOf', targetRef: 'group:default/players' }],
});

/** The real auth backend with the module, and a catalog holding two players. */
async function authBackend(providerConfig: object) {
  const { server } = await startTestBackend({
    features: [
      authPlugin,
      demoPlayers,
      catalogServiceMock.factory({
        entities: [player('player-1'), player('not-listed')],
      }),
      mockServices.rootConfig.factory({
        data: {
          app: { baseUrl: 'http://localhost:3000' },
          auth: { providers: { 'demo-players': providerConfig } },
        },
      }),
    ],
  });
  const { port } = server.address() as AddressInfo;
  return (who?: string) =>
    fetch(`http://localhost:${port}/api/auth/demo-players/refresh`, {
      headers: {
        'X-Requested-With': 'XMLHttpRequest',
        ...(who && { [DEMO_PLAYER_HEADER]: who }),
      },
    });
}

describe('demo players auth provider', () => {
  const enabled = { dangerouslyAllowOutsideDevelopment: true };

  it('signs a configured player in as their catalog User, with its groups', async () => {
    const refresh = await authBackend({ ...enabled, users: ['player-1'] });
    const response = await refresh('player-1');
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.backstageIdentity.identity).toMatchObject({
      userEntityRef: 'user:default/player-1',
      ownershipEntityRefs: expect.arrayContaining([
        'user:default/player-1',
        'group:default/players',
      ]),
    });
  });

  it('refuses users who are not configured players, even if the catalog has them', async () => {
    const refresh = await authBackend({ ...enabled, users: ['player-1'] });
    expect((await refresh('not-listed')).status).toBe(401);
    expect((await refresh()).status).toBe(401);
  });

  it('refuses a configured player whose catalog User is missing', async () => {
    const refresh = await authBackend({ ...enabled, users: ['player-9'] });
    expect((await refresh('player-9')).status).not.toBe(200);
  });

  it('is off outside development unless dangerouslyAllowOutsideDevelopment', async () => {
    const refresh = await authBackend({ users: ['player-1'] });
    expect((await refresh('player-1')).status).toBe(403);
  });
});
