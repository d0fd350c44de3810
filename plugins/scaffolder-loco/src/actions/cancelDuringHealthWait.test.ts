import { createFakeHelm, FakeHelm } from '../__testUtils__/fakeHelm';
import { makeContext, makeDeps } from '../__testUtils__/setup';
import { createLocoEnvironmentAction } from './createEnvironment';

// The task is cancelled while the create waits for the environment to get
// healthy: the step ends at once (not at its timeout), says it was cancelled,
// and removes the environment it made.

let helm: FakeHelm;
beforeEach(() => {
  helm = createFakeHelm();
});
afterEach(() => helm.cleanup());

const input = {
  name: 'prov-unit',
  runtime: 'local',
  instances: 3,
  storageMode: 'ephemeral',
  snapshotTag: 'demo',
  // Far beyond the test's own timeout: only the cancellation can end the wait.
  timeout: '1h',
};

describe('cancelling a create during its health wait', () => {
  it('ends the step promptly, names the instances not yet healthy, and destroys what it made', async () => {
    const { deps, local } = makeDeps(helm);
    local.state = 'starting';
    const action = createLocoEnvironmentAction(deps);
    const controller = new AbortController();
    const ctx = Object.assign(makeContext(input), {
      signal: controller.signal,
    });
    const progress = jest.spyOn(ctx.logger, 'info');
    const step = action.handler(ctx).then(
      () => 'succeeded',
      (e: Error) => e.message,
    );
    // Cancel once the wait has begun (its first progress line).
    while (
      !progress.mock.calls.some(
        c => c[0] === 'prov-unit: 0/3 instances healthy',
      )
    ) {
      await new Promise(resolve => setTimeout(resolve, 10));
    }
    const cancelledAt = Date.now();
    controller.abort();
    expect(await step).toBe(
      'prov-unit did not become healthy before the task was cancelled: ' +
        'prov-unit-0: starting (guest still booting), ' +
        'prov-unit-1: starting (guest still booting), ' +
        'prov-unit-2: starting (guest still booting)',
    );
    // Between polls a cancellation used to wait out the poll interval (1 s).
    expect(Date.now() - cancelledAt).toBeLessThan(900);
    expect(local.calls).toEqual(['create prov-unit', 'destroy prov-unit']);
    expect(ctx.output).not.toHaveBeenCalled();
  });

  it('leaves an environment alone that it did not create (a re-run of the step)', async () => {
    const { deps, local } = makeDeps(helm);
    const action = createLocoEnvironmentAction(deps);
    await action.handler(makeContext({ ...input, wait: false }));
    local.state = 'starting';
    const controller = new AbortController();
    controller.abort();
    const ctx = Object.assign(makeContext(input), {
      signal: controller.signal,
    });
    await expect(action.handler(ctx)).rejects.toThrow(
      /before the task was cancelled/,
    );
    expect(local.calls).toEqual(['create prov-unit']);
  });
});
