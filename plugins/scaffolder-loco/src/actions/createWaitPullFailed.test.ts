import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mockServices } from '@backstage/backend-test-utils';
import { LocalRuntime, LocoRuntimes } from '@loco-portal/plugin-loco-node';
// The real registry (Debian's docker-registry) as loco-node's tests run it,
// and the local runtime's config parser; neither is in the package's index.
// eslint-disable-next-line @backstage/no-relative-monorepo-imports
import { parseLocalRuntimeConfig } from '../../../loco-node/src/local/localConfig';
// eslint-disable-next-line @backstage/no-relative-monorepo-imports
import {
  startTestRegistry,
  type TestRegistry,
} from '../../../loco-node/src/oci/__testUtils__/testRegistry';
import { createFakeHelm, FakeHelm } from '../__testUtils__/fakeHelm';
import { makeContext, makeDeps } from '../__testUtils__/setup';
import { createLocoEnvironmentAction } from './createEnvironment';

const DEMO_DISK = path.resolve(
  __dirname,
  '../../../../.cache/images/loco-demo.qcow2',
);

// Far below the create's own timeout (1h): only the failed pull can end the wait.
jest.setTimeout(60_000);

/**
 * A local create that waits for its instances, with snapshotFallback fail and
 * a tag the registry does not have (a real registry, the real local runtime;
 * nothing boots): the wait ends at the registry's answer, not at its timeout,
 * and the environment is removed as after any failed create.
 */
describe('loco:environment:create with wait, when the snapshot pull fails (fallback fail)', () => {
  let root: string;
  let registry: TestRegistry;
  let helm: FakeHelm;
  let runtime: LocalRuntime;

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'loco-wait-pull-'));
    registry = await startTestRegistry();
  });
  beforeEach(() => {
    helm = createFakeHelm();
  });
  afterEach(async () => {
    await runtime?.stop();
    helm.cleanup();
  });
  afterAll(async () => {
    await registry?.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it("ends at once with the registry's reason and destroys what it made", async () => {
    const snapshots = { registry: `${registry.host}/loco/snapshots` };
    runtime = new LocalRuntime(
      parseLocalRuntimeConfig({
        stateDir: path.join(root, 'state'),
        images: { demo: { path: DEMO_DISK } },
        snapshots,
      }),
      mockServices.logger.mock(),
    );
    await runtime.start();
    const { deps } = makeDeps(helm, {
      config: c => Object.assign(c.loco.local, { snapshots }),
    });
    deps.runtimes = new LocoRuntimes([runtime]);
    const ctx = makeContext({
      name: 'strict',
      runtime: 'local',
      instances: 2,
      storageMode: 'ephemeral',
      snapshotTag: 'games',
      snapshotFallback: 'fail',
      wait: true,
      timeout: '1h',
    });

    const reason = `pull failed: Snapshot tag "games" is not in ${registry.host}/loco/snapshots`;
    await expect(
      createLocoEnvironmentAction(deps).handler(ctx),
    ).rejects.toThrow(
      `strict cannot become healthy: strict-0: ${reason}, strict-1: ${reason}`,
    );
    expect((await runtime.listEnvironments()).items).toEqual([]);
    expect(ctx.output).not.toHaveBeenCalled();
  });
});
