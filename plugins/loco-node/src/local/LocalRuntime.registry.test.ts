import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mockServices } from '@backstage/backend-test-utils';
import {
  builtinFallbackNotice,
  type LocoEnvironment,
} from '@loco-portal/plugin-loco-common';
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

/** The environment `name` once `ok` holds for it. */
function environmentWhen(
  runtime: LocalRuntime,
  name: string,
  ok: (env: LocoEnvironment) => boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<LocoEnvironment> {
  return until(
    async () => {
      const { items } = await runtime.listEnvironments();
      const env = items.find(e => e.name === name);
      return env && ok(env) ? env : undefined;
    },
    timeoutMs,
    what,
  );
}

/** Its first instance's QEMU runs the guest. */
const running = (env: LocoEnvironment) =>
  env.instances[0]?.health.facts.qmpStatus === 'running';

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
      const env = await environmentWhen(
        runtime,
        'from-registry',
        running,
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
      await environmentWhen(
        runtime,
        'from-registry-2',
        running,
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
      const env = await environmentWhen(
        runtime,
        'player',
        running,
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

  it("an update's snapshotFallback is its tag's policy: an environment that fail kept down boots the built-in disk after the same tag with builtin", async () => {
    const runtime = new LocalRuntime(
      parseLocalRuntimeConfig({
        stateDir: path.join(root, 'state-fallback'),
        images: { demo: { path: DEMO_DISK } },
        snapshots: { registry: `${registry.host}/loco/snapshots` },
      }),
      mockServices.logger.mock(),
      { tuning: { powerdownTimeoutMs: 500 } },
    );
    const turned = (ok: (env: LocoEnvironment) => boolean, what: string) =>
      environmentWhen(runtime, 'turned', ok, what, 120_000);
    // Never pushed: every pull of it fails.
    const failed = `pull failed: Snapshot tag "productivity" is not in ${registry.host}/loco/snapshots`;
    try {
      await runtime.start();
      await runtime.createEnvironment({
        name: 'turned',
        instances: 1,
        storageMode: 'ephemeral',
        snapshotTag: 'productivity',
        snapshotFallback: 'fail',
      });
      const down = await turned(
        e => e.instances.every(i => i.state === 'unhealthy'),
        'the failed pull',
      );
      expect(down.instances[0].health.facts.processAlive).toBe(false);
      expect(down.instances[0].health.reasons).toContain(failed);

      await runtime.updateEnvironment('turned', {
        snapshotTag: 'productivity',
        snapshotFallback: 'builtin',
      });
      const booted = await turned(
        e => e.instances.every(i => i.health.facts.processAlive),
        'QEMU on the built-in disk',
      );
      expect(booted.snapshotTag).toBe('productivity');
      expect(booted.instances[0].health.reasons).toContain(
        builtinFallbackNotice(failed),
      );
    } finally {
      await runtime.stop();
    }
  });
});
