import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import { createFakeHelm, FakeHelm } from '../__testUtils__/fakeHelm';
import { makeContext, makeDeps, TestConfig } from '../__testUtils__/setup';
import { createLocoEnvironmentAction } from './createEnvironment';
import { destroyLocoEnvironmentAction } from './destroyEnvironment';
import { updateLocoEnvironmentAction } from './updateEnvironment';

/**
 * D5: a dry run makes every check the real run makes, so it refuses exactly
 * what the real run refuses, with the same error, and changes nothing.
 */

// Each helm call is a process of the fake helm that validates and renders the chart.
jest.setTimeout(30_000);

let helm: FakeHelm;
beforeEach(() => {
  helm = createFakeHelm();
});
afterEach(() => helm.cleanup());

const onHelm = { runtime: 'kubernetes', cluster: 'prod-eu', namespace: 'loco' };
const helmCreate = {
  ...onHelm,
  name: 'lan-party',
  instances: 4,
  storageMode: 'persistent',
  snapshotTag: 'win98-base',
};
const localCreate = {
  name: 'prov-unit',
  runtime: 'local',
  instances: 2,
  storageMode: 'ephemeral',
  snapshotTag: 'demo',
};

function actions(options: { config?: (c: TestConfig) => void } = {}) {
  const { deps, local } = makeDeps(helm, options);
  return {
    create: createLocoEnvironmentAction(deps),
    update: updateLocoEnvironmentAction(deps),
    destroy: destroyLocoEnvironmentAction(deps),
    local,
  };
}

/** Any of the three actions: only their handler is called here. */
type Action = { handler(ctx: ReturnType<typeof makeContext>): Promise<void> };

/** Runs the action and returns what it threw (fails the test if it did not throw). */
async function refusal(action: Action, input: object, isDryRun: boolean) {
  try {
    await action.handler(makeContext(input, { isDryRun }));
  } catch (error) {
    return error as Error;
  }
  throw new Error(`${isDryRun ? 'dry run' : 'real run'} was not refused`);
}

/** The dry run's refusal, after checking the real run refuses the same way. */
async function refusedAlike(action: Action, input: object) {
  const dry = await refusal(action, input, true);
  const real = await refusal(action, input, false);
  expect(dry.constructor).toBe(real.constructor);
  expect(dry.message).toBe(real.message);
  return dry;
}

describe('a dry run create refuses what the real run refuses', () => {
  it('a name a local environment already has, with another spec', async () => {
    const { create, local } = actions();
    await create.handler(makeContext(localCreate));
    const error = await refusedAlike(create, { ...localCreate, instances: 5 });
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.message).toBe(
      'A Loco environment named prov-unit already exists',
    );
    expect(local.calls).toEqual(['create prov-unit']);
  });

  it('a name a Helm release already has, with no mutating helm call', async () => {
    const { create } = actions();
    await create.handler(makeContext(helmCreate));
    const before = helm.mutatingCommands();
    const error = await refusedAlike(create, { ...helmCreate, instances: 12 });
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.message).toBe(
      'A Loco environment named lan-party already exists',
    );
    expect(helm.mutatingCommands()).toEqual(before);
    expect(helm.releases()['loco/lan-party'].map(r => r.status)).toEqual([
      'deployed',
    ]);
  });

  it('a Helm release whose name a local environment already has', async () => {
    const { create, local } = actions();
    await create.handler(
      makeContext({ ...localCreate, name: 'lan-party', instances: 4 }),
    );
    const error = await refusedAlike(create, helmCreate);
    expect(error).toBeInstanceOf(ConflictError);
    expect(helm.mutatingCommands()).toEqual([]);
    expect(helm.releases()).toEqual({});
    expect(local.calls).toEqual(['create lan-party']);
  });

  it('hostpath storage on the local runtime without loco.local.hostPath', async () => {
    const { create, local } = actions();
    const error = await refusedAlike(create, {
      ...localCreate,
      storageMode: 'hostpath',
    });
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toBe(
      'storageMode hostpath needs loco.local.hostPath in the backend config',
    );
    expect(local.calls).toEqual([]);
  });

  it('a cluster that cannot be reached, before anything changes', async () => {
    const { create } = actions();
    helm.failOn('history', {
      exitCode: 1,
      stderr: 'Error: Kubernetes cluster unreachable: dial tcp: i/o timeout',
    });
    const error = await refusedAlike(create, helmCreate);
    expect(error.message).toMatch(/cluster unreachable/);
    expect(helm.mutatingCommands()).toEqual([]);
  });
});

describe('an input the chart or the emulator would refuse is refused before Helm runs', () => {
  it.each([
    // A Service name is an RFC 1035 label: "9lan-lego-loco-cluster" is not one.
    [
      'a name starting with a digit',
      { name: '9lan' },
      /starting with a letter/,
    ],
    // OCI allows both; the emulator agent exits 2 on them.
    ['a tag starting with "_"', { snapshotTag: '_base' }, /at most 64/],
    ['a tag of 65 characters', { snapshotTag: 'a'.repeat(65) }, /at most 64/],
  ])('%s, with the rule, in a dry run too', async (_what, change, rule) => {
    const { create, update } = actions({
      config: c => {
        c.loco.helm.snapshotTags = [];
      },
    });
    const created = await refusedAlike(create, { ...helmCreate, ...change });
    expect(created).toBeInstanceOf(InputError);
    expect(created.message).toMatch(rule);
    const updated = await refusedAlike(update, {
      ...onHelm,
      name: 'lan-party',
      ...change,
    });
    expect(updated).toBeInstanceOf(InputError);
    expect(updated.message).toMatch(rule);
    // Not even a read: nothing reached Helm.
    expect(helm.commands()).toEqual([]);
  });
});

// A destroy of a release that is not there is no error (destroyKeepsOrDeletesDisks.test.ts).
describe('a dry run update or destroy of an environment that does not exist', () => {
  it.each([
    ['update on helm', 'update', { ...onHelm, instances: 2 }],
    [
      'update on the local runtime',
      'update',
      { runtime: 'local', instances: 2 },
    ],
  ] as const)('%s fails as the real run does', async (_what, which, input) => {
    const all = actions();
    const error = await refusedAlike(all[which], { ...input, name: 'ghost' });
    expect(error).toBeInstanceOf(NotFoundError);
    expect(helm.mutatingCommands()).toEqual([]);
    expect(all.local.calls).toEqual([]);
  });
});

describe('a dry run of a valid input', () => {
  it('succeeds and changes nothing on the local runtime', async () => {
    const { create, update, destroy, local } = actions({
      config: c => {
        c.loco.local.hostPath = '/srv/loco';
      },
    });
    const dry = (input: object) => makeContext(input, { isDryRun: true });
    await create.handler(dry({ ...localCreate, storageMode: 'hostpath' }));
    expect(local.calls).toEqual([]);

    await create.handler(makeContext(localCreate));
    await update.handler(
      dry({ name: 'prov-unit', runtime: 'local', instances: 4 }),
    );
    await destroy.handler(dry({ name: 'prov-unit', runtime: 'local' }));
    // A re-run of the same create is no conflict in a dry run either.
    await create.handler(dry(localCreate));
    expect(local.calls).toEqual(['create prov-unit']);
    expect(local.envs.get('prov-unit')!.instances).toBe(2);
  });

  it('succeeds and runs no mutating helm command', async () => {
    const { create, update, destroy } = actions();
    const dry = (input: object) => makeContext(input, { isDryRun: true });
    await create.handler(dry(helmCreate));
    expect(helm.mutatingCommands()).toEqual([]);
    expect(helm.releases()).toEqual({});

    await create.handler(makeContext(helmCreate));
    const release = helm.releases();
    await create.handler(dry(helmCreate));
    await update.handler(dry({ ...onHelm, name: 'lan-party', instances: 8 }));
    await destroy.handler(dry({ ...onHelm, name: 'lan-party' }));
    expect(helm.mutatingCommands()).toEqual(['upgrade']);
    expect(helm.releases()).toEqual(release);
  });
});
