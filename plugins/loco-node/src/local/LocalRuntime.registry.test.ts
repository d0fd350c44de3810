import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mockServices } from '@backstage/backend-test-utils';
import { LocalRuntime } from './LocalRuntime';
import { parseLocalRuntimeConfig } from './localConfig';
import { diskInfo } from './diskImages';
import {
  echoInGuest,
  readTextScreen,
  until,
} from './__testUtils__/guestScreen';
import { makeRamSnapshotDisk } from './__testUtils__/ramSnapshotDisk';
import { RegistryClient } from '../oci/RegistryClient';
import { pushSnapshot } from '../oci/snapshotArtifact';
import {
  startTestRegistry,
  type TestRegistry,
} from '../oci/__testUtils__/testRegistry';

const DEMO_DISK = path.resolve(
  __dirname,
  '../../../../.cache/images/loco-demo.qcow2',
);

jest.setTimeout(180_000);

describe('LocalRuntime with snapshots from an OCI registry (real registry, real QEMU)', () => {
  let root: string;
  let registry: TestRegistry;

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'loco-registry-rt-'));
    registry = await startTestRegistry();
    // What a platform team publishes: the disk with its RAM state inside.
    const disk = path.join(root, 'games.qcow2');
    await makeRamSnapshotDisk(DEMO_DISK, disk, 'loco-published');
    await pushSnapshot(
      new RegistryClient(`${registry.host}/loco/snapshots`),
      'games',
      disk,
      { ramSnapshot: 'loco-published', memoryMb: 128 },
    );
  });
  afterAll(async () => {
    await registry?.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('pulls a tag that is not in loco.local.images and resumes instances from its RAM state', async () => {
    const logger = mockServices.logger.mock();
    const runtime = new LocalRuntime(
      parseLocalRuntimeConfig({
        stateDir: path.join(root, 'state'),
        snapshots: { registry: `${registry.host}/loco/snapshots` },
      }),
      logger,
      { tuning: { powerdownTimeoutMs: 500 } },
    );
    try {
      await runtime.start();
      await runtime.createEnvironment({
        name: 'from-registry',
        instances: 1,
        storageMode: 'ephemeral',
        snapshotTag: 'games',
      });
      const env = await until(
        async () => {
          const { items } = await runtime.listEnvironments();
          return items[0]?.instances[0]?.health.facts.qmpStatus === 'running'
            ? items[0]
            : undefined;
        },
        60_000,
        'instance running',
      );
      expect(env.snapshotTag).toBe('games');
      expect(env.instances[0].health.facts.bootMode).toBe('snapshot');

      const cached = fs
        .readdirSync(path.join(root, 'state', 'snapshots'))
        .filter(f => f.endsWith('.qcow2'));
      expect(cached).toHaveLength(1);
      const pulled = path.join(root, 'state', 'snapshots', cached[0]);
      expect((await diskInfo(pulled)).snapshots).toContain('loco-published');

      // A second environment on the same tag reuses the pulled copy.
      await runtime.createEnvironment({
        name: 'from-registry-2',
        instances: 1,
        storageMode: 'ephemeral',
        snapshotTag: 'games',
      });
      await until(
        async () => {
          const { items } = await runtime.listEnvironments();
          const second = items.find(e => e.name === 'from-registry-2');
          return second?.instances[0]?.health.facts.qmpStatus === 'running'
            ? second
            : undefined;
        },
        60_000,
        'second instance running',
      );
      const pulls = logger.info.mock.calls.filter(([m]) =>
        String(m).startsWith('Pulling snapshot'),
      );
      expect(pulls).toHaveLength(1);
    } finally {
      await runtime.stop();
    }
  });

  it('publishes a running instance (disk and RAM) as a tag that a new environment resumes from', async () => {
    const runtime = new LocalRuntime(
      parseLocalRuntimeConfig({
        stateDir: path.join(root, 'state-publish'),
        images: { demo: { path: DEMO_DISK } },
        snapshots: { registry: `${registry.host}/loco/snapshots` },
      }),
      mockServices.logger.mock(),
      { tuning: { powerdownTimeoutMs: 500 } },
    );
    try {
      await runtime.start();
      await runtime.createEnvironment({
        name: 'builder',
        instances: 1,
        storageMode: 'persistent',
        snapshotTag: 'demo',
      });
      const builder = runtime.localInstance('builder', 0);
      // What the platform team "installs": a word that exists only in guest RAM.
      await echoInGuest(builder, 'pubmark42');
      const { digest } = await runtime.publishSnapshot(
        'builder',
        0,
        'games-v2',
      );
      expect(digest).toMatch(/^sha256:/);
      expect(
        await new RegistryClient(`${registry.host}/loco/snapshots`).listTags(),
      ).toContain('games-v2');
      // The builder goes on running after the brief pause.
      await until(
        async () =>
          (
            await builder.qmpExecute<{ status: string }>('query-status')
          ).status === 'running'
            ? true
            : undefined,
        10_000,
        'builder running again',
      );

      await runtime.createEnvironment({
        name: 'player',
        instances: 1,
        storageMode: 'ephemeral',
        snapshotTag: 'games-v2',
      });
      const env = await until(
        async () => {
          const { items } = await runtime.listEnvironments();
          const e = items.find(i => i.name === 'player');
          return e?.instances[0]?.health.facts.qmpStatus === 'running'
            ? e
            : undefined;
        },
        60_000,
        'player running',
      );
      expect(env.instances[0].health.facts.bootMode).toBe('snapshot');
      const player = runtime.localInstance('player', 0);
      expect(await readTextScreen(player)).toContain('pubmark42');
      const pulled = fs
        .readdirSync(path.join(root, 'state-publish', 'snapshots'))
        .filter(f => f.endsWith('.qcow2'));
      expect(
        (
          await diskInfo(
            path.join(root, 'state-publish', 'snapshots', pulled[0]),
          )
        ).snapshots,
      ).toEqual(['games-v2']);
    } finally {
      await runtime.stop();
    }
  });
});
