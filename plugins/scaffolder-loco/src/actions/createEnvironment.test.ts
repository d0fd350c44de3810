import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import type {
  EmulatorRuntime,
  EnvironmentSpec,
} from '@loco-portal/plugin-loco-node';
import { LocoRuntimes } from '@loco-portal/plugin-loco-node';
import { createLocoEnvironmentAction } from './createEnvironment';

/** Test double: a local runtime that records what it was asked to create. */
class RecordingLocalRuntime implements Partial<EmulatorRuntime> {
  readonly kind = 'local' as const;
  readonly created: EnvironmentSpec[] = [];
  async listEnvironments() {
    return { items: [], errors: [] };
  }
  async createEnvironment(spec: EnvironmentSpec) {
    this.created.push(spec);
  }
}

function setup() {
  const runtime = new RecordingLocalRuntime();
  const action = createLocoEnvironmentAction({
    runtimes: new LocoRuntimes([runtime as unknown as EmulatorRuntime]),
  });
  return { runtime, action };
}

describe('loco:environment:create', () => {
  it('creates a local environment and outputs its entity ref', async () => {
    const { runtime, action } = setup();
    const ctx = createMockActionContext({
      input: { name: 'team-a', runtime: 'local', instances: 3, storageMode: 'persistent', snapshotTag: 'demo' } as const,
    });
    await action.handler(ctx);
    expect(runtime.created).toEqual([
      { name: 'team-a', instances: 3, storageMode: 'persistent', snapshotTag: 'demo', owner: undefined },
    ]);
    expect(ctx.output).toHaveBeenCalledWith('entityRef', 'resource:default/team-a');
  });

  it('creates nothing in a dry run', async () => {
    const { runtime, action } = setup();
    const ctx = {
      ...createMockActionContext({
        input: { name: 'team-a', runtime: 'local', instances: 2, storageMode: 'ephemeral' } as const,
      }),
      isDryRun: true,
    };
    await action.handler(ctx);
    expect(runtime.created).toEqual([]);
    expect(ctx.output).toHaveBeenCalledWith('environment', 'team-a');
  });

  it('says clearly that the kubernetes runtime is not available yet', async () => {
    const { runtime, action } = setup();
    const ctx = createMockActionContext({
      input: { name: 'team-a', runtime: 'kubernetes', instances: 2, storageMode: 'ephemeral' } as const,
    });
    await expect(action.handler(ctx)).rejects.toThrow(/kubernetes runtime .* not available/);
    expect(runtime.created).toEqual([]);
  });
});
