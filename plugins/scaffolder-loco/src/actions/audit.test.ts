import type { AuditorServiceEvent } from '@backstage/backend-plugin-api';
import type { ServiceMock } from '@backstage/backend-test-utils';
import type { AuditorService } from '@backstage/backend-plugin-api';
import { InputError, NotAllowedError } from '@backstage/errors';
import { createFakeHelm, FakeHelm } from '../__testUtils__/fakeHelm';
import { makeContext, makeDeps } from '../__testUtils__/setup';
import { createLocoEnvironmentAction } from './createEnvironment';
import { destroyLocoEnvironmentAction } from './destroyEnvironment';
import { updateLocoEnvironmentAction } from './updateEnvironment';

// Each helm call is a process of the fake helm that validates and renders the chart.
jest.setTimeout(30_000);

let helm: FakeHelm;
beforeEach(() => {
  helm = createFakeHelm();
});
afterEach(() => helm.cleanup());

const k8sInput = {
  name: 'lan-party',
  runtime: 'kubernetes',
  cluster: 'prod-eu',
  instances: 9,
  storageMode: 'persistent',
  snapshotTag: 'win98-base',
};
const localInput = {
  name: 'prov-unit',
  runtime: 'local',
  instances: 3,
  storageMode: 'ephemeral',
  snapshotTag: 'demo',
};

/** The one event the run recorded: how it was created, and its outcome calls. */
async function onlyEvent(auditor: ServiceMock<AuditorService>) {
  expect(auditor.createEvent).toHaveBeenCalledTimes(1);
  const [options] = auditor.createEvent.mock.calls[0];
  const event = (await auditor.createEvent.mock.results[0]
    .value) as jest.Mocked<AuditorServiceEvent>;
  return { options, success: event.success, fail: event.fail };
}

describe('audit events of loco:environment:create', () => {
  it('records a successful local create with its actor, inputs and outcome', async () => {
    const { deps, auditor } = makeDeps(helm);
    await createLocoEnvironmentAction(deps).handler(makeContext(localInput));
    const { options, success, fail } = await onlyEvent(auditor);
    expect(options).toEqual({
      eventId: 'loco-environment-create',
      severityLevel: 'medium',
      meta: {
        actor: 'user:default/alice',
        dryRun: false,
        taskId: 'mock-task-id',
        template: null,
        environment: 'prov-unit',
        runtime: 'local',
        instances: 3,
        storageMode: 'ephemeral',
        snapshotTag: 'demo',
      },
    });
    expect(success).toHaveBeenCalledWith({
      meta: {
        environment: 'prov-unit',
        runtime: 'local',
        instances: 3,
        storageMode: 'ephemeral',
        snapshotTag: 'demo',
        owner: 'user:default/alice',
      },
    });
    expect(fail).not.toHaveBeenCalled();
  });

  it('records a failed Helm install as failed, with the cluster and namespace it chose', async () => {
    const { deps, auditor } = makeDeps(helm);
    helm.failOn('upgrade', {
      exitCode: 1,
      stderr: 'Error: context deadline exceeded',
    });
    await expect(
      createLocoEnvironmentAction(deps).handler(makeContext(k8sInput)),
    ).rejects.toThrow(/context deadline exceeded/);
    const { options, success, fail } = await onlyEvent(auditor);
    expect(options.meta).toEqual(
      expect.objectContaining({
        actor: 'user:default/alice',
        environment: 'lan-party',
        runtime: 'kubernetes',
        cluster: 'prod-eu',
        dryRun: false,
      }),
    );
    expect(success).not.toHaveBeenCalled();
    expect(fail).toHaveBeenCalledWith({
      meta: expect.objectContaining({ cluster: 'prod-eu', namespace: 'loco' }),
      error: expect.objectContaining({
        message: expect.stringMatching(
          /context deadline exceeded[\s\S]*uninstalled/,
        ),
      }),
    });
  });

  it('records a refused input as failed, with the input as it was given', async () => {
    const { deps, auditor } = makeDeps(helm);
    await expect(
      createLocoEnvironmentAction(deps).handler(
        makeContext({ ...localInput, name: 'a;rm -rf /', instances: 0 }),
      ),
    ).rejects.toBeInstanceOf(InputError);
    const { options, success, fail } = await onlyEvent(auditor);
    expect(options.meta).toEqual(
      expect.objectContaining({
        actor: 'user:default/alice',
        environment: 'a;rm -rf /',
        instances: 0,
      }),
    );
    expect(success).not.toHaveBeenCalled();
    expect(fail).toHaveBeenCalledWith({
      meta: {},
      error: expect.any(InputError),
    });
  });

  it('cuts an oversized refused value as the scaffolder cuts task parameters', async () => {
    const { deps, auditor } = makeDeps(helm);
    await expect(
      createLocoEnvironmentAction(deps).handler(
        makeContext({ ...localInput, name: 'x'.repeat(10_000) }),
      ),
    ).rejects.toBeInstanceOf(InputError);
    const { options } = await onlyEvent(auditor);
    expect(options.meta!.environment).toBe(`${'x'.repeat(256)}...<truncated>`);
  });

  it('records a user without loco.environment.manage as failed', async () => {
    const { deps, auditor } = makeDeps(helm, { deny: true });
    await expect(
      createLocoEnvironmentAction(deps).handler(makeContext(localInput)),
    ).rejects.toBeInstanceOf(NotAllowedError);
    const { fail } = await onlyEvent(auditor);
    expect(fail).toHaveBeenCalledWith(
      expect.objectContaining({ error: expect.any(NotAllowedError) }),
    );
  });

  it('records a dry run as a dry run, at low severity', async () => {
    const { deps, auditor } = makeDeps(helm);
    await createLocoEnvironmentAction(deps).handler(
      makeContext(k8sInput, { isDryRun: true }),
    );
    const { options, success } = await onlyEvent(auditor);
    expect(options).toEqual(
      expect.objectContaining({
        severityLevel: 'low',
        meta: expect.objectContaining({ dryRun: true }),
      }),
    );
    expect(success).toHaveBeenCalled();
  });
});

describe('audit events of update and destroy', () => {
  it('records one event per run with its own id', async () => {
    const { deps, auditor } = makeDeps(helm);
    await createLocoEnvironmentAction(deps).handler(makeContext(k8sInput));
    await updateLocoEnvironmentAction(deps).handler(
      makeContext({ ...k8sInput, storageMode: undefined, instances: 4 }),
    );
    // Destroy is idempotent: a name with nothing behind it is a recorded no-op.
    await destroyLocoEnvironmentAction(deps).handler(
      makeContext({ name: 'ghost', runtime: 'local' }),
    );
    const calls = auditor.createEvent.mock.calls.map(([o]) => ({
      eventId: o.eventId,
      environment: o.meta!.environment,
    }));
    expect(calls).toEqual([
      { eventId: 'loco-environment-create', environment: 'lan-party' },
      { eventId: 'loco-environment-update', environment: 'lan-party' },
      { eventId: 'loco-environment-destroy', environment: 'ghost' },
    ]);
    const events = await Promise.all(
      auditor.createEvent.mock.results.map(
        r => r.value as Promise<jest.Mocked<AuditorServiceEvent>>,
      ),
    );
    expect(events[1].success).toHaveBeenCalledWith({
      meta: expect.objectContaining({ instances: 4, namespace: 'loco' }),
    });
    expect(events[2].success).toHaveBeenCalled();
    expect(events[2].fail).not.toHaveBeenCalled();
  });
});
