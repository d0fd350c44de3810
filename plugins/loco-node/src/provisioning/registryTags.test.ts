import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { RegistryClient } from '../oci/RegistryClient';
import { pushSnapshot } from '../oci/snapshotArtifact';
import {
  startTestRegistry,
  type TestRegistry,
} from '../oci/__testUtils__/testRegistry';
import { listRegistryTags } from './registryTags';

jest.setTimeout(60_000);

describe('listRegistryTags (real registry)', () => {
  let root: string;
  let registry: TestRegistry;
  let privateRegistry: TestRegistry;

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'loco-registry-tags-'));
    registry = await startTestRegistry();
    privateRegistry = await startTestRegistry({
      auth: 'htpasswd',
      users: { ci: 'letmein' },
    });
    const disk = path.join(root, 'disk.qcow2');
    fs.writeFileSync(disk, 'not really a qcow2, the listing does not care');
    const config = { ramSnapshot: null, memoryMb: null };
    for (const tag of ['productivity', 'games']) {
      await pushSnapshot(
        new RegistryClient(`${registry.host}/loco/snapshots`),
        tag,
        disk,
        config,
      );
    }
    await pushSnapshot(
      new RegistryClient(`${privateRegistry.host}/loco/snapshots`, {
        credentials: { username: 'ci', password: 'letmein' },
      }),
      'win98-base',
      disk,
      config,
    );
  });
  afterAll(async () => {
    await registry?.stop();
    await privateRegistry?.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('lists the tags the registry holds, sorted', async () => {
    const repo = `${registry.host}/loco/snapshots`;
    expect(await listRegistryTags({ registry: repo })).toEqual({
      registry: repo,
      tags: ['games', 'productivity'],
    });
  });

  it('an empty repository has no tags (known, not a problem)', async () => {
    const repo = `${registry.host}/loco/nothing-here`;
    expect(await listRegistryTags({ registry: repo })).toEqual({
      registry: repo,
      tags: [],
    });
  });

  it('lists a private registry with its credentials, and says why without them', async () => {
    const repo = `${privateRegistry.host}/loco/snapshots`;
    expect(
      await listRegistryTags({
        registry: repo,
        username: 'ci',
        password: 'letmein',
      }),
    ).toEqual({ registry: repo, tags: ['win98-base'] });
    const refused = await listRegistryTags({ registry: repo });
    expect(refused.tags).toBeNull();
    expect(refused).toMatchObject({ problem: expect.stringMatching(/401/) });
  });

  it('an unreachable registry gives no tags and the reason', async () => {
    // A port that was free a moment ago: nothing listens there.
    const port = await new Promise<number>(resolve => {
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const address = server.address() as net.AddressInfo;
        server.close(() => resolve(address.port));
      });
    });
    const repo = `127.0.0.1:${port}/loco/snapshots`;
    const result = await listRegistryTags({ registry: repo });
    expect(result).toEqual({
      registry: repo,
      tags: null,
      problem: expect.stringMatching(/ECONNREFUSED|refused/),
    });
  });

  it('a registry that never answers is given up on, saying so', async () => {
    // Accepts the connection and says nothing: a hung registry.
    const sockets: net.Socket[] = [];
    const silent = net.createServer(s => sockets.push(s));
    await new Promise<void>(resolve => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as net.AddressInfo;
    try {
      const result = await listRegistryTags(
        { registry: `127.0.0.1:${port}/loco/snapshots` },
        { timeoutMs: 300 },
      );
      expect(result).toMatchObject({
        tags: null,
        problem: 'no answer within 0.3 s',
      });
    } finally {
      sockets.forEach(s => s.destroy());
      await new Promise(resolve => silent.close(resolve));
    }
  });
});
