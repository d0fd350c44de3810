import { InputError } from '@backstage/errors';
import yaml from 'yaml';
import { createFakeHelm, FakeHelm } from '../__testUtils__/fakeHelm';
import { K8S_INPUT, makeContext, makeDeps } from '../__testUtils__/setup';
import { createLocoEnvironmentAction } from './createEnvironment';

// Each helm call is a process of the fake helm that validates and renders the chart.
jest.setTimeout(30_000);

let helm: FakeHelm;
beforeEach(() => {
  helm = createFakeHelm();
});
afterEach(() => helm.cleanup());

describe('loco:environment:create snapshotFallback (both runtimes)', () => {
  it('passes the policy to the local runtime', async () => {
    const { deps, local } = makeDeps(helm);
    await createLocoEnvironmentAction(deps).handler(
      makeContext({
        name: 'strict',
        runtime: 'local',
        instances: 1,
        storageMode: 'ephemeral',
        snapshotTag: 'demo',
        snapshotFallback: 'fail',
      }),
    );
    expect(local.envs.get('strict')?.snapshotFallback).toBe('fail');
  });

  it("passes the policy to the chart's snapshot.fallback", async () => {
    const { deps } = makeDeps(helm);
    await createLocoEnvironmentAction(deps).handler(
      makeContext({ ...K8S_INPUT, snapshotFallback: 'fail' }),
    );
    const install = helm.calls().find(c => c.argv[0] === 'upgrade')!;
    expect(yaml.parse(install.values!).snapshot.fallback).toBe('fail');
  });

  it('refuses a policy that is not one of loco-common’s', async () => {
    const { deps, local } = makeDeps(helm);
    await expect(
      createLocoEnvironmentAction(deps).handler(
        makeContext({
          name: 'odd',
          runtime: 'local',
          instances: 1,
          storageMode: 'ephemeral',
          snapshotFallback: 'retry',
        }),
      ),
    ).rejects.toThrow(InputError);
    expect(local.envs.size).toBe(0);
  });
});
