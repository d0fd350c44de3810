import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { mockServices } from '@backstage/backend-test-utils';
import {
  builtinFallbackNotice,
  type LocoEnvironment,
} from '@loco-portal/plugin-loco-common';
import { LocalRuntime } from './LocalRuntime';
import { parseLocalRuntimeConfig } from './localConfig';
import { until } from './__testUtils__/guestScreen';
import { makeRamSnapshotDisk } from './__testUtils__/ramSnapshotDisk';
import { RegistryClient } from '../oci/RegistryClient';
import { pushSnapshot } from '../oci/snapshotArtifact';
import {
  startHoldingProxy,
  type HoldingProxy,
} from '../oci/__testUtils__/holdingProxy';
import {
  startTestRegistry,
  type TestRegistry,
} from '../oci/__testUtils__/testRegistry';

const execFileAsync = promisify(execFile);
const DEMO_DISK = path.resolve(
  __dirname,
  '../../../../.cache/images/loco-demo.qcow2',
);
/** Past the client's first progress report (every 4 MiB), short of the disk's end. */
const HOLD_AT = 6 * 1024 * 1024;

jest.setTimeout(180_000);

/**
 * Local creates with a registry tag return at once and pull in the
 * background (real registry, real QEMU; a holding proxy stands for a slow
 * network so the middle of a pull can be seen without timing it).
 */
describe('LocalRuntime pulls snapshot tags in the background', () => {
  let root: string;
  let registry: TestRegistry;
  let privateRegistry: TestRegistry;
  let proxy: HoldingProxy;
  const runtimes: LocalRuntime[] = [];

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'loco-pull-rt-'));
    registry = await startTestRegistry();
    privateRegistry = await startTestRegistry({
      auth: 'htpasswd',
      users: { ci: 'letmein' },
    });
    proxy = await startHoldingProxy(registry.host);
    const disk = path.join(root, 'games.qcow2');
    await makeRamSnapshotDisk(DEMO_DISK, disk, 'loco-published');
    if (fs.statSync(disk).size <= HOLD_AT) {
      throw new Error(`the snapshot disk must be larger than ${HOLD_AT} bytes`);
    }
    await pushSnapshot(
      new RegistryClient(`${registry.host}/loco/snapshots`),
      'games',
      disk,
      { ramSnapshot: 'loco-published', memoryMb: 128 },
    );
  });
  afterEach(async () => {
    await Promise.all(runtimes.splice(0).map(r => r.stop()));
  });
  afterAll(async () => {
    await proxy?.stop();
    await registry?.stop();
    await privateRegistry?.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  async function startRuntime(
    state: string,
    snapshots: Record<string, unknown>,
  ): Promise<LocalRuntime> {
    const runtime = new LocalRuntime(
      parseLocalRuntimeConfig({
        stateDir: path.join(root, state),
        images: { demo: { path: DEMO_DISK } },
        snapshots,
      }),
      mockServices.logger.mock(),
      { tuning: { powerdownTimeoutMs: 500 } },
    );
    runtimes.push(runtime);
    await runtime.start();
    return runtime;
  }

  async function environment(runtime: LocalRuntime, name: string) {
    const { items } = await runtime.listEnvironments();
    return items.find(e => e.name === name);
  }

  function waitFor(
    runtime: LocalRuntime,
    name: string,
    what: string,
    ok: (env: LocoEnvironment) => boolean,
  ): Promise<LocoEnvironment> {
    return until(
      async () => {
        const env = await environment(runtime, name);
        return env && ok(env) ? env : undefined;
      },
      90_000,
      what,
      200,
    );
  }

  const allRunning = (env: LocoEnvironment) =>
    env.instances.length > 0 &&
    env.instances.every(i => i.health.facts.qmpStatus === 'running');

  it('lists the instances at once, pulling with progress on their health, then resumes them from the snapshot', async () => {
    const runtime = await startRuntime('state-progress', {
      registry: `${proxy.host}/loco/snapshots`,
    });
    const held = proxy.holdNextBlobAfter(HOLD_AT);
    await runtime.createEnvironment({
      name: 'games',
      instances: 2,
      storageMode: 'ephemeral',
      snapshotTag: 'games',
    });
    const first = (await environment(runtime, 'games'))!;
    expect(first.snapshotTag).toBe('games');
    expect(first.instances.map(i => [i.name, i.state])).toEqual([
      ['games-0', 'starting'],
      ['games-1', 'starting'],
    ]);
    expect(first.instances[0].health.reasons[0]).toMatch(
      /^pulling games( \d{1,3} %)?$/,
    );

    await held.reached;
    const pulling = await waitFor(runtime, 'games', 'a progress reason', e =>
      /^pulling games \d{1,2} %$/.test(e.instances[0].health.reasons[0]),
    );
    expect(pulling.instances[1].health.reasons).toEqual(
      pulling.instances[0].health.reasons,
    );
    expect(() => runtime.localInstance('games', 0)).toThrow(
      /games-0 is not running: pulling games/,
    );

    held.release();
    const running = await waitFor(runtime, 'games', 'running', allRunning);
    for (const instance of running.instances) {
      expect(instance.health.facts.bootMode).toBe('snapshot');
      expect(instance.health.reasons.join('; ')).not.toMatch(/pull/);
    }
  });

  it("fallback builtin (the default): a refused pull boots the runtime's own disk, and the health says why", async () => {
    const runtime = await startRuntime('state-builtin', {
      registry: `${privateRegistry.host}/loco/snapshots`,
    });
    await runtime.createEnvironment({
      name: 'refused',
      instances: 1,
      storageMode: 'ephemeral',
      snapshotTag: 'games',
    });
    const env = await waitFor(runtime, 'refused', 'running', allRunning);
    expect(env.snapshotTag).toBe('games');
    expect(env.instances[0].health.facts.bootMode).toBe('cold');
    expect(env.instances[0].health.reasons).toContain(
      builtinFallbackNotice(
        `pull failed: 401 from registry ${privateRegistry.host}: it needs a username and password and none are configured`,
      ),
    );
    const { stdout } = await execFileAsync('qemu-img', [
      'info',
      '-U',
      '--output=json',
      runtime.localInstance('refused', 0).diskPath,
    ]);
    expect(JSON.parse(stdout)['backing-filename']).toBe(DEMO_DISK);
  });

  it("fallback fail: the instances stay down with the registry's reason (401, unknown tag); an update to the same tag retries", async () => {
    const anonymous = await startRuntime('state-fail', {
      registry: `${privateRegistry.host}/loco/snapshots`,
    });
    await anonymous.createEnvironment({
      name: 'refused',
      instances: 2,
      storageMode: 'ephemeral',
      snapshotTag: 'games',
      snapshotFallback: 'fail',
    });
    const refused = await waitFor(anonymous, 'refused', 'the 401', e =>
      e.instances.every(i => i.state === 'unhealthy'),
    );
    for (const instance of refused.instances) {
      expect(instance.health.facts.processAlive).toBe(false);
      expect(instance.health.reasons).toContain(
        `pull failed: 401 from registry ${privateRegistry.host}: it needs a username and password and none are configured`,
      );
    }
    expect(() => anonymous.localInstance('refused', 1)).toThrow(
      /refused-1 is not running: pull failed: 401/,
    );

    const withPassword = await startRuntime('state-fail-2', {
      registry: `${privateRegistry.host}/loco/snapshots`,
      username: 'ci',
      password: 'letmein',
    });
    await withPassword.createEnvironment({
      name: 'unknown-tag',
      instances: 1,
      storageMode: 'ephemeral',
      snapshotTag: 'productivity',
      snapshotFallback: 'fail',
    });
    const unknown = await waitFor(withPassword, 'unknown-tag', 'the 404', e =>
      e.instances.every(i => i.state === 'unhealthy'),
    );
    expect(unknown.instances[0].health.reasons).toContain(
      `pull failed: Snapshot tag "productivity" is not in ${privateRegistry.host}/loco/snapshots`,
    );

    // Once the tag exists, an update to the same tag pulls it again.
    await pushSnapshot(
      new RegistryClient(`${privateRegistry.host}/loco/snapshots`, {
        credentials: { username: 'ci', password: 'letmein' },
      }),
      'productivity',
      path.join(root, 'games.qcow2'),
      { ramSnapshot: 'loco-published', memoryMb: 128 },
    );
    await withPassword.updateEnvironment('unknown-tag', {
      snapshotTag: 'productivity',
    });
    const retried = await waitFor(
      withPassword,
      'unknown-tag',
      'running',
      allRunning,
    );
    expect(retried.instances[0].health.facts.bootMode).toBe('snapshot');
  });

  it('a destroy during the pull cancels it and leaves nothing behind; a tag change while pulling starts on the new tag', async () => {
    const runtime = await startRuntime('state-cancel', {
      registry: `${proxy.host}/loco/snapshots`,
    });
    const cache = path.join(root, 'state-cancel', 'snapshots');
    const held = proxy.holdNextBlobAfter(HOLD_AT);
    await runtime.createEnvironment({
      name: 'doomed',
      instances: 1,
      storageMode: 'persistent',
      snapshotTag: 'games',
    });
    await held.reached;
    await runtime.destroyEnvironment('doomed');
    await held.clientGone;
    held.release();
    expect(await environment(runtime, 'doomed')).toBeUndefined();
    expect(fs.readdirSync(cache)).toEqual([]);
    expect(
      fs.existsSync(path.join(root, 'state-cancel', 'environments', 'doomed')),
    ).toBe(false);

    const again = proxy.holdNextBlobAfter(HOLD_AT);
    await runtime.createEnvironment({
      name: 'changing',
      instances: 1,
      storageMode: 'ephemeral',
      snapshotTag: 'games',
      snapshotFallback: 'fail',
    });
    await again.reached;
    await runtime.updateEnvironment('changing', { snapshotTag: 'demo' });
    await again.clientGone;
    again.release();
    const env = await waitFor(runtime, 'changing', 'running', allRunning);
    expect(env.snapshotTag).toBe('demo');
    expect(env.instances[0].health.reasons.join('; ')).not.toMatch(/pull/);
    expect(fs.readdirSync(cache)).toEqual([]);
  });
});
