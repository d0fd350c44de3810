import { createFakeHelm, FakeHelm } from '../__testUtils__/fakeHelm';
import { makeContext, makeDeps, K8S_INPUT } from '../__testUtils__/setup';
import { createLocoEnvironmentAction } from './createEnvironment';
import { updateLocoEnvironmentAction } from './updateEnvironment';

// A Helm change fails, and so does putting things back: the step must fail
// with both of Helm's errors, so whoever reads the task log knows the release
// needs attention and why.

// Each helm call is a process of the fake helm that validates and renders the chart.
jest.setTimeout(30_000);

let helm: FakeHelm;
beforeEach(() => {
  helm = createFakeHelm();
});
afterEach(() => helm.cleanup());

const k8sInput = K8S_INPUT;

const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('the step succeeded');
    },
    (e: Error) => e.message,
  );

describe('a failed Helm change whose cleanup fails too', () => {
  it('first install: reports the install error and the uninstall error, and keeps no outputs', async () => {
    const { deps } = makeDeps(helm);
    const action = createLocoEnvironmentAction(deps);
    helm.failOn('upgrade', {
      exitCode: 1,
      stderr: 'Error: timed out waiting for the condition',
    });
    helm.failOn('uninstall', {
      exitCode: 1,
      stderr:
        'Error: uninstallation completed with 1 error(s): context deadline exceeded',
    });
    const ctx = makeContext(k8sInput);
    const message = await failure(action.handler(ctx));
    expect(message).toBe(
      'Helm failed: Error: timed out waiting for the condition\n' +
        'Cleanup failed too, the release needs attention: Error: uninstallation completed with 1 error(s): context deadline exceeded',
    );
    expect(helm.commands()).toEqual(['history', 'upgrade', 'uninstall']);
    // What is left is there for a person to see: the failed revision.
    expect(helm.releases()['loco/lan-party'].map(r => r.status)).toEqual([
      'failed',
    ]);
    expect(ctx.output).not.toHaveBeenCalled();
  });

  it('update: reports the upgrade error and the rollback error', async () => {
    const { deps } = makeDeps(helm);
    await createLocoEnvironmentAction(deps).handler(makeContext(k8sInput));
    helm.failOn('upgrade', {
      exitCode: 1,
      stderr: 'Error: UPGRADE FAILED: timed out waiting for the condition',
    });
    helm.failOn('rollback', {
      exitCode: 1,
      stderr:
        'Error: release lan-party failed: timed out waiting for the condition',
    });
    const update = updateLocoEnvironmentAction(deps);
    const message = await failure(
      update.handler(
        makeContext({
          name: 'lan-party',
          runtime: 'kubernetes',
          cluster: 'prod-eu',
          namespace: 'loco',
          instances: 12,
          wait: true,
        }),
      ),
    );
    expect(message).toBe(
      'Helm failed: Error: UPGRADE FAILED: timed out waiting for the condition\n' +
        'Cleanup failed too, the release needs attention: Error: release lan-party failed: timed out waiting for the condition',
    );
    expect(helm.mutatingCommands()).toEqual(['upgrade', 'upgrade', 'rollback']);
    expect(helm.releases()['loco/lan-party'].map(r => r.status)).toEqual([
      'deployed',
      'failed',
      'failed',
    ]);
  });
});
