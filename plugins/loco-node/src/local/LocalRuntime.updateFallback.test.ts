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
import { until } from './__testUtils__/guestScreen';
import {
  startTestRegistry,
  type TestRegistry,
} from '../oci/__testUtils__/testRegistry';

const DEMO_DISK = path.resolve(
  __dirname,
  '../../../../.cache/images/loco-demo.qcow2',
);

jest.setTimeout(180_000);

/**
 * An update's snapshotFallback is the policy of its tag's pull (a real,
 * empty registry: the tag is not there; real QEMU for the built-in disk).
 */
describe('LocalRuntime.updateEnvironment with snapshotFallback', () => {
  let root: string;
  let registry: TestRegistry;
  let runtime: LocalRuntime | undefined;

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'loco-update-fallback-'));
    registry = await startTestRegistry();
  });
  afterAll(async () => {
    await runtime?.stop();
    await registry?.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  function waitFor(
    what: string,
    ok: (env: LocoEnvironment) => boolean,
  ): Promise<LocoEnvironment> {
    return until(
      async () => {
        const { items } = await runtime!.listEnvironments();
        const env = items.find(e => e.name === 'turned');
        return env && ok(env) ? env : undefined;
      },
      120_000,
      what,
      200,
    );
  }

  it('a create that stays down (fail) boots the built-in disk after an update to the same tag with builtin', async () => {
    runtime = new LocalRuntime(
      parseLocalRuntimeConfig({
        stateDir: path.join(root, 'state'),
        images: { demo: { path: DEMO_DISK } },
        snapshots: { registry: `${registry.host}/loco/snapshots` },
      }),
      mockServices.logger.mock(),
      { tuning: { powerdownTimeoutMs: 500 } },
    );
    await runtime.start();
    const failed = `pull failed: Snapshot tag "games" is not in ${registry.host}/loco/snapshots`;
    await runtime.createEnvironment({
      name: 'turned',
      instances: 1,
      storageMode: 'ephemeral',
      snapshotTag: 'games',
      snapshotFallback: 'fail',
    });
    const down = await waitFor('the failed pull', e =>
      e.instances.every(i => i.state === 'unhealthy'),
    );
    expect(down.instances[0].health.facts.processAlive).toBe(false);
    expect(down.instances[0].health.reasons).toContain(failed);

    await runtime.updateEnvironment('turned', {
      snapshotTag: 'games',
      snapshotFallback: 'builtin',
    });
    const booted = await waitFor('QEMU on the built-in disk', e =>
      e.instances.every(i => i.health.facts.processAlive),
    );
    expect(booted.snapshotTag).toBe('games');
    expect(booted.instances[0].health.reasons).toContain(
      builtinFallbackNotice(failed),
    );
  });
});
