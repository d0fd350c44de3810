import { InputError } from '@backstage/errors';
import { createFakeHelm, FakeHelm } from '../__testUtils__/fakeHelm';
import { makeContext, makeDeps } from '../__testUtils__/setup';
import { createLocoEnvironmentAction } from './createEnvironment';

jest.setTimeout(30_000);

let helm: FakeHelm;
beforeEach(() => {
  helm = createFakeHelm();
});
afterEach(() => helm.cleanup());

const input = {
  name: 'from-games',
  runtime: 'local',
  instances: 1,
  storageMode: 'ephemeral',
  snapshotTag: 'games',
};

describe('local snapshot tags from loco.local.snapshots.registry', () => {
  it('passes a tag that is not in loco.local.images to the runtime, which pulls it', async () => {
    const { deps, local } = makeDeps(helm, {
      config: c => {
        Object.assign(c.loco.local, {
          snapshots: { registry: 'registry.example/loco/snapshots' },
        });
      },
    });
    await createLocoEnvironmentAction(deps).handler(makeContext(input));
    expect(local.envs.get('from-games')?.snapshotTag).toBe('games');
  });

  it('without a registry, refuses the tag before anything runs', async () => {
    const { deps, local } = makeDeps(helm);
    await expect(
      createLocoEnvironmentAction(deps).handler(makeContext(input)),
    ).rejects.toThrow(
      new InputError(
        'Unknown snapshot tag "games" for the local runtime (configured: demo)',
      ),
    );
    expect(local.envs.size).toBe(0);
  });
});
