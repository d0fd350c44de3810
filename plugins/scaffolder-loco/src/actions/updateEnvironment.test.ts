import { InputError, NotFoundError } from '@backstage/errors';
import yaml from 'yaml';
import { createFakeHelm, FakeHelm } from '../__testUtils__/fakeHelm';
import { makeContext, makeDeps } from '../__testUtils__/setup';
import { createLocoEnvironmentAction } from './createEnvironment';
import { updateLocoEnvironmentAction } from './updateEnvironment';

// Each helm call is a process of the fake helm that validates and renders the chart.
jest.setTimeout(30_000);

let helm: FakeHelm;
beforeEach(() => {
  helm = createFakeHelm();
});
afterEach(() => helm.cleanup());

const target = { runtime: 'kubernetes', cluster: 'prod-eu', namespace: 'loco' };

async function withRelease() {
  const { deps, local } = makeDeps(helm);
  await createLocoEnvironmentAction(deps).handler(
    makeContext({
      ...target,
      name: 'lan-party',
      instances: 4,
      storageMode: 'persistent',
      snapshotTag: 'win98-base',
    }),
  );
  return { action: updateLocoEnvironmentAction(deps), local, deps };
}

/** The local environment prov-unit, made by the create action. */
async function withLocalEnvironment(instances: number) {
  const { deps, local } = makeDeps(helm);
  await createLocoEnvironmentAction(deps).handler(
    makeContext({
      name: 'prov-unit',
      runtime: 'local',
      instances,
      storageMode: 'ephemeral',
    }),
  );
  return { action: updateLocoEnvironmentAction(deps), local };
}

describe('loco:environment:update', () => {
  it('scales a release with --reset-then-reuse-values and a values file holding only the change (and the deployed storage)', async () => {
    const { action } = await withRelease();
    await action.handler(
      makeContext({
        ...target,
        name: 'lan-party',
        instances: 12,
        snapshotTag: 'win98-lan-v2',
      }),
    );
    const upgrade = helm.calls().at(-1)!;
    expect(upgrade.argv.slice(0, 7)).toEqual([
      'upgrade',
      'lan-party',
      expect.stringMatching(/\/chart$/),
      '--namespace',
      'loco',
      '--reset-then-reuse-values',
      '--values',
    ]);
    expect(upgrade.argv).not.toContain('--install');
    expect(yaml.parse(upgrade.values!)).toEqual({
      instances: 12,
      snapshot: { tag: 'win98-lan-v2' },
      // Pinned: the claims cannot change (updateStorage.test.ts).
      storage: { mode: 'persistent', size: '2Gi', storageClassName: '' },
    });
    expect(helm.releases()['loco/lan-party'].map(r => r.status)).toEqual([
      'superseded',
      'deployed',
    ]);
  });

  it("rolls back a failed scale and reports helm's error", async () => {
    const { action } = await withRelease();
    helm.failOn('upgrade', {
      exitCode: 1,
      stderr:
        'Error: UPGRADE FAILED: pods "lan-party-11" is forbidden: exceeded quota',
    });
    await expect(
      action.handler(
        makeContext({ ...target, name: 'lan-party', instances: 12 }),
      ),
    ).rejects.toThrow(/exceeded quota[\s\S]*Rolled back to revision 1/);
    expect(helm.commands().slice(-2)).toEqual(['upgrade', 'rollback']);
  });

  it('fails for a release that does not exist without installing one', async () => {
    const { deps } = makeDeps(helm);
    const action = updateLocoEnvironmentAction(deps);
    await expect(
      action.handler(makeContext({ ...target, name: 'ghost', instances: 2 })),
    ).rejects.toBeInstanceOf(NotFoundError);
    expect(helm.commands()).toEqual(['history']);
  });

  it.each([
    ['nothing to change', {}],
    ['instances 0', { instances: 0 }],
    ['instances 33', { instances: 33 }],
    ['an unknown snapshot tag', { snapshotTag: 'win2000' }],
    ['an unknown cluster', { cluster: 'elsewhere' }],
    [
      'a snapshotFallback without a snapshotTag',
      { instances: 2, snapshotFallback: 'fail' },
    ],
    [
      "a snapshotFallback that is not one of loco-common's",
      { snapshotTag: 'win98-base', snapshotFallback: 'retry' },
    ],
  ])('rejects %s with InputError before helm runs', async (_what, change) => {
    const { deps } = makeDeps(helm);
    const action = updateLocoEnvironmentAction(deps);
    await expect(
      action.handler(makeContext({ ...target, name: 'lan-party', ...change })),
    ).rejects.toBeInstanceOf(InputError);
    expect(helm.calls()).toEqual([]);
  });

  it('scales a local environment through LocoRuntimes', async () => {
    const { action, local } = await withLocalEnvironment(2);
    await action.handler(
      makeContext({ name: 'prov-unit', runtime: 'local', instances: 4 }),
    );
    expect(local.calls).toEqual([
      'create prov-unit',
      'update prov-unit {"instances":4}',
    ]);
    expect(local.envs.get('prov-unit')!.instances).toBe(4);
  });

  it('gives the local runtime the fallback for the new tag', async () => {
    const { action, local } = await withLocalEnvironment(1);
    await action.handler(
      makeContext({
        name: 'prov-unit',
        runtime: 'local',
        snapshotTag: 'demo',
        snapshotFallback: 'fail',
      }),
    );
    expect(local.calls.at(-1)).toBe(
      'update prov-unit {"snapshotTag":"demo","snapshotFallback":"fail"}',
    );
  });
});
