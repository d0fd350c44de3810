import request from 'supertest';
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import {
  LocoRuntimes,
  readProvisioningSettings,
} from '@loco-portal/plugin-loco-node';
import { FakeEmulatorRuntime } from '../__testUtils__/FakeEmulatorRuntime';
import {
  mockAuthServices,
  routerTestApp,
} from '../__testUtils__/routerTestApp';
import { createOptionsRouter } from './optionsRouter';

async function app(options: { allow?: boolean } = {}) {
  const settings = readProvisioningSettings(
    mockServices.rootConfig({
      data: {
        loco: {
          local: {
            images: {
              demo: { path: '/x/demo.qcow2' },
              'win98-base': { path: '/x/w.qcow2' },
            },
          },
          helm: {
            snapshotTags: ['win98-base'],
            snapshotRegistry: 'ghcr.io/example/snaps',
          },
          kubernetes: {
            clusters: [
              {
                name: 'prod-eu',
                url: 'https://k8s.example:6443',
                serviceAccountToken: 'secret-token',
                namespaces: ['loco'],
              },
            ],
          },
        },
      },
    }),
  );
  const router = await createOptionsRouter({
    runtimes: new LocoRuntimes([new FakeEmulatorRuntime([])]),
    settings,
    ...mockAuthServices(options),
  });
  return routerTestApp(router);
}

describe('GET /options', () => {
  it('refuses callers without credentials', async () => {
    const res = await request(await app()).get('/options');
    expect(res.status).toBe(401);
  });

  it('refuses users without the read permission', async () => {
    const res = await request(await app({ allow: false }))
      .get('/options')
      .set('Authorization', mockCredentials.user.header());
    expect(res.status).toBe(403);
  });

  it('lists runtimes, snapshot tags and clusters, and never a credential', async () => {
    const res = await request(await app())
      .get('/options')
      .set('Authorization', mockCredentials.user.header());
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      runtimes: ['local', 'kubernetes'],
      snapshotTags: {
        local: ['demo', 'win98-base'],
        kubernetes: ['win98-base'],
      },
      snapshotRegistry: 'ghcr.io/example/snaps',
      clusters: [{ name: 'prod-eu', namespaces: ['loco'] }],
      defaultNamespace: 'loco',
    });
    expect(res.text).not.toContain('secret-token');
  });
});
