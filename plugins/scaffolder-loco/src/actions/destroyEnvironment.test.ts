import { InputError, NotAllowedError } from '@backstage/errors';
import { createFakeHelm, FakeHelm } from '../__testUtils__/fakeHelm';
import { makeContext, makeDeps } from '../__testUtils__/setup';
import { createLocoEnvironmentAction } from './createEnvironment';
import { destroyLocoEnvironmentAction } from './destroyEnvironment';

// Each helm call is a process of the fake helm that validates and renders the chart.
jest.setTimeout(30_000);

let helm: FakeHelm;
beforeEach(() => {
  helm = createFakeHelm();
});
afterEach(() => helm.cleanup());

const target = { runtime: 'kubernetes', cluster: 'prod-eu', namespace: 'loco' };

describe('loco:environment:destroy', () => {
  it('uninstalls the release and waits for its resources to go', async () => {
    const { deps } = makeDeps(helm);
    await createLocoEnvironmentAction(deps).handler(
      makeContext({
        ...target,
        name: 'lan-party',
        instances: 2,
        storageMode: 'ephemeral',
      }),
    );
    await destroyLocoEnvironmentAction(deps).handler(
      makeContext({ ...target, name: 'lan-party' }),
    );
    expect(helm.calls().at(-1)!.argv).toEqual(
      expect.arrayContaining([
        'uninstall',
        'lan-party',
        '--namespace',
        'loco',
        '--wait',
      ]),
    );
    expect(helm.releases()).toEqual({});
  });

  it("fails with helm's error when the uninstall fails", async () => {
    const { deps } = makeDeps(helm);
    await createLocoEnvironmentAction(deps).handler(
      makeContext({
        ...target,
        name: 'lan-party',
        instances: 2,
        storageMode: 'ephemeral',
      }),
    );
    helm.failOn('uninstall', {
      exitCode: 1,
      stderr:
        'Error: uninstallation completed with 1 error(s): context deadline exceeded',
    });
    await expect(
      destroyLocoEnvironmentAction(deps).handler(
        makeContext({ ...target, name: 'lan-party' }),
      ),
    ).rejects.toThrow(
      'Error: uninstallation completed with 1 error(s): context deadline exceeded',
    );
  });

  it('succeeds without a change for a release that does not exist (idempotent)', async () => {
    const { deps } = makeDeps(helm);
    await destroyLocoEnvironmentAction(deps).handler(
      makeContext({ ...target, name: 'ghost' }),
    );
    expect(helm.commands()).toEqual(['history']);
  });

  it('rejects metacharacter names before helm runs', async () => {
    const { deps } = makeDeps(helm);
    await expect(
      destroyLocoEnvironmentAction(deps).handler(
        makeContext({ ...target, name: 'x;helm ls' }),
      ),
    ).rejects.toBeInstanceOf(InputError);
    expect(helm.calls()).toEqual([]);
  });

  it('destroys a local environment, and nothing in a dry run', async () => {
    const { deps, local } = makeDeps(helm);
    await createLocoEnvironmentAction(deps).handler(
      makeContext({
        name: 'prov-unit',
        runtime: 'local',
        instances: 1,
        storageMode: 'ephemeral',
      }),
    );
    const action = destroyLocoEnvironmentAction(deps);
    await action.handler(
      makeContext({ name: 'prov-unit', runtime: 'local' }, { isDryRun: true }),
    );
    expect(local.envs.has('prov-unit')).toBe(true);
    await action.handler(makeContext({ name: 'prov-unit', runtime: 'local' }));
    expect(local.envs.has('prov-unit')).toBe(false);
    // Again: nothing to do, and no error (idempotent).
    await action.handler(makeContext({ name: 'prov-unit', runtime: 'local' }));
    expect(local.calls).toEqual(['create prov-unit', 'destroy prov-unit']);
  });

  it('refuses users without loco.environment.manage', async () => {
    const { deps: allowed, local } = makeDeps(helm);
    await createLocoEnvironmentAction(allowed).handler(
      makeContext({
        name: 'prov-unit',
        runtime: 'local',
        instances: 1,
        storageMode: 'ephemeral',
      }),
    );
    const denied = {
      ...allowed,
      permissions: makeDeps(helm, { deny: true }).deps.permissions,
    };
    await expect(
      destroyLocoEnvironmentAction(denied).handler(
        makeContext({ name: 'prov-unit', runtime: 'local' }),
      ),
    ).rejects.toBeInstanceOf(NotAllowedError);
    expect(local.envs.has('prov-unit')).toBe(true);
  });
});

describe('a missing helm binary', () => {
  it('fails with a message naming the setting, and touches nothing', async () => {
    const { deps } = makeDeps(helm);
    deps.settings.helm.binary = '/nonexistent/helm';
    await expect(
      destroyLocoEnvironmentAction(deps).handler(
        makeContext({ ...target, name: 'lan-party' }),
      ),
    ).rejects.toThrow(
      'Cannot run /nonexistent/helm: not found (set loco.helm.binary)',
    );
  });
});
