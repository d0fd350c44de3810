import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import request from 'supertest';
import type { JsonObject } from '@backstage/types';
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
// The real registry (Debian's docker-registry) as loco-node's tests run it,
// and its OCI client to publish tags into it; neither is in the package's index.
// eslint-disable-next-line @backstage/no-relative-monorepo-imports
import { startTestRegistry } from '../../../loco-node/src/oci/__testUtils__/testRegistry';
// eslint-disable-next-line @backstage/no-relative-monorepo-imports
import { RegistryClient } from '../../../loco-node/src/oci/RegistryClient';
// eslint-disable-next-line @backstage/no-relative-monorepo-imports
import { pushSnapshot } from '../../../loco-node/src/oci/snapshotArtifact';

async function app(
  options: { allow?: boolean; snapshots?: JsonObject; helm?: JsonObject } = {},
) {
  const local: JsonObject = {
    images: {
      demo: { path: '/x/demo.qcow2' },
      'win98-base': { path: '/x/w.qcow2' },
    },
  };
  if (options.snapshots) local.snapshots = options.snapshots;
  const settings = readProvisioningSettings(
    mockServices.rootConfig({
      data: {
        loco: {
          local,
          helm: { snapshotTags: ['win98-base'], ...options.helm },
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
      snapshotRegistry: '',
      clusters: [{ name: 'prod-eu', namespaces: ['loco'] }],
      defaultNamespace: 'loco',
      registryTags: { local: null, kubernetes: null },
    });
    expect(res.text).not.toContain('secret-token');
  });

  it("says why the registry's tags are unknown when it cannot be reached, inventing none", async () => {
    // A port that was free a moment ago: nothing listens there.
    const port = await new Promise<number>(resolve => {
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const address = server.address() as net.AddressInfo;
        server.close(() => resolve(address.port));
      });
    });
    const registry = `127.0.0.1:${port}/loco/snapshots`;
    const res = await request(
      await app({
        snapshots: { registry, username: 'ci', password: 'registry-secret' },
      }),
    )
      .get('/options')
      .set('Authorization', mockCredentials.user.header());
    expect(res.status).toBe(200);
    expect(res.body.registryTags).toEqual({
      local: {
        registry,
        tags: null,
        problem: expect.stringMatching(/ECONNREFUSED|refused/),
      },
      kubernetes: null,
    });
    // The configured images are still offered; the password never leaves.
    expect(res.body.snapshotTags.local).toEqual(['demo', 'win98-base']);
    expect(res.text).not.toContain('registry-secret');
  });

  it("lists the registry's tags, asking it on every request", async () => {
    // A test double of the distribution API's tag listing
    // (GET /v2/<name>/tags/list -> {"name", "tags"}); the real registry is
    // covered in loco-node's registryTags.test.ts.
    let tags = ['games'];
    const registryDouble = http.createServer((req, res) => {
      if (req.url?.startsWith('/v2/loco/snapshots/tags/list')) {
        res.setHeader('Content-Type', 'application/json');
        res.end(JSON.stringify({ name: 'loco/snapshots', tags }));
        return;
      }
      res.statusCode = 404;
      res.end();
    });
    await new Promise<void>(resolve =>
      registryDouble.listen(0, '127.0.0.1', resolve),
    );
    const { port } = registryDouble.address() as net.AddressInfo;
    const registry = `127.0.0.1:${port}/loco/snapshots`;
    try {
      const server = await app({ snapshots: { registry } });
      const first = await request(server)
        .get('/options')
        .set('Authorization', mockCredentials.user.header());
      expect(first.body.registryTags).toEqual({
        local: { registry, tags: ['games'] },
        kubernetes: null,
      });
      tags = ['games', 'productivity'];
      const second = await request(server)
        .get('/options')
        .set('Authorization', mockCredentials.user.header());
      expect(second.body.registryTags.local.tags).toEqual([
        'games',
        'productivity',
      ]);
    } finally {
      await new Promise(resolve => registryDouble.close(resolve));
    }
  });

  it("lists loco.helm.snapshotRegistry's tags for Kubernetes environments, from a real registry with its credentials", async () => {
    const registry = await startTestRegistry({
      auth: 'htpasswd',
      users: { lister: 'helm-secret' },
    });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loco-options-'));
    try {
      const repository = `${registry.host}/loco/snapshots`;
      const file = path.join(dir, 'disk.qcow2');
      fs.writeFileSync(file, 'a disk');
      const credentials = { username: 'lister', password: 'helm-secret' };
      for (const tag of ['productivity', 'games']) {
        await pushSnapshot(
          new RegistryClient(repository, { credentials }),
          tag,
          file,
          { ramSnapshot: null, memoryMb: null },
        );
      }
      const res = await request(
        await app({
          helm: {
            snapshotRegistry: repository,
            snapshotRegistryCredentials: credentials,
          },
        }),
      )
        .get('/options')
        .set('Authorization', mockCredentials.user.header());
      expect(res.status).toBe(200);
      expect(res.body.registryTags).toEqual({
        local: null,
        kubernetes: { registry: repository, tags: ['games', 'productivity'] },
      });
      expect(res.body.snapshotTags.kubernetes).toEqual(['win98-base']);
      expect(res.text).not.toContain('helm-secret');

      // Without credentials the registry refuses: unknown, with its reason.
      const refused = await request(
        await app({ helm: { snapshotRegistry: repository } }),
      )
        .get('/options')
        .set('Authorization', mockCredentials.user.header());
      expect(refused.body.registryTags.kubernetes).toEqual({
        registry: repository,
        tags: null,
        problem: expect.stringMatching(
          new RegExp(`^401 from registry ${registry.host}`),
        ),
      });
    } finally {
      await registry.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("says why the Helm registry's tags are unknown when it cannot be reached", async () => {
    const registry = await startTestRegistry();
    const repository = `${registry.host}/loco/snapshots`;
    await registry.stop(); // nothing listens there any more
    const res = await request(
      await app({ helm: { snapshotRegistry: repository } }),
    )
      .get('/options')
      .set('Authorization', mockCredentials.user.header());
    expect(res.status).toBe(200);
    expect(res.body.registryTags.kubernetes).toEqual({
      registry: repository,
      tags: null,
      problem: expect.stringMatching(/ECONNREFUSED|refused/),
    });
  });
});
