import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createFakeHelm, FakeHelm } from '../__testUtils__/fakeHelm';
import {
  CHART,
  makeContext,
  makeDeps,
  K8S_INPUT,
} from '../__testUtils__/setup';
import { createLocoEnvironmentAction } from './createEnvironment';

// Two tasks creating one environment name at the same time: the second must
// never both pass the "name is free" check and then undo the first's work.

// Each helm call is a process of the fake helm that validates and renders the chart.
jest.setTimeout(60_000);

let helm: FakeHelm;
beforeEach(() => {
  helm = createFakeHelm();
});
afterEach(() => {
  helm.letGo('upgrade');
  helm.cleanup();
});

const k8sInput = K8S_INPUT;

const settled = (p: Promise<unknown>) =>
  p.then(
    () => 'done',
    (e: Error) => e.message,
  );

describe('two creates of one name at once', () => {
  it('on Helm: the second waits for the first, then converges on the same release', async () => {
    const { deps } = makeDeps(helm);
    const action = createLocoEnvironmentAction(deps);
    helm.holdOn('upgrade');
    const first = settled(action.handler(makeContext(k8sInput)));
    await helm.held();
    const secondCtx = makeContext(k8sInput);
    const logged = jest.spyOn(secondCtx.logger, 'info');
    const second = settled(action.handler(secondCtx));
    // The second queues behind the first (it says so), and has run no helm.
    while (
      !logged.mock.calls.some(
        c => c[0] === 'Waiting for another change of lan-party to end',
      )
    ) {
      await new Promise(resolve => setTimeout(resolve, 20));
    }
    expect(helm.commands()).toEqual(['history', 'upgrade']);

    helm.letGo('upgrade');
    expect(await first).toBe('done');
    expect(await second).toBe('done');
    expect(helm.mutatingCommands()).toEqual(['upgrade', 'upgrade']);
    expect(helm.releases()['loco/lan-party'].map(r => r.status)).toEqual([
      'superseded',
      'deployed',
    ]);
  });

  it('on Helm: a second create with another spec fails as a name conflict and leaves the first release alone', async () => {
    const { deps } = makeDeps(helm);
    const action = createLocoEnvironmentAction(deps);
    helm.holdOn('upgrade');
    const first = settled(action.handler(makeContext(k8sInput)));
    await helm.held();
    const second = settled(
      action.handler(makeContext({ ...k8sInput, instances: 5 })),
    );
    helm.letGo('upgrade');
    expect(await first).toBe('done');
    expect(await second).toMatch(
      /A Loco environment named lan-party already exists/,
    );
    expect(helm.mutatingCommands()).toEqual(['upgrade']);
    expect(helm.releases()['loco/lan-party'].map(r => r.status)).toEqual([
      'deployed',
    ]);
  });

  it('on Helm, against another backend installing the same release: fails and uninstalls nothing', async () => {
    // Another replica's helm, outside this process's lock: its install is
    // under way (pending-install) with the very values our create would write.
    const dir = mkdtempSync(path.join(tmpdir(), 'other-replica-'));
    const values = path.join(dir, 'values.yaml');
    // The values our create writes for k8sInput (see createEnvironment.test.ts).
    const sameValues = {
      environment: { name: 'lan-party', owner: 'group:default/team-a' },
      instances: 9,
      storage: { mode: 'persistent' },
      snapshot: {
        tag: 'win98-base',
        registry: 'ghcr.io/example/loco-snapshots',
      },
    };
    writeFileSync(values, JSON.stringify(sameValues));
    helm.holdOn('upgrade');
    const other = spawn(helm.binary, [
      'upgrade',
      '--install',
      'lan-party',
      CHART,
      '--namespace',
      'loco',
      '--create-namespace',
      '--values',
      values,
    ]);
    const otherExit = new Promise(resolve => other.on('close', resolve));
    await helm.held();
    expect(helm.releases()['loco/lan-party'].map(r => r.status)).toEqual([
      'pending-install',
    ]);

    const { deps } = makeDeps(helm);
    const action = createLocoEnvironmentAction(deps);
    // Ours sees the release (same values: a re-run) and runs helm, which
    // refuses: the other operation is in progress.
    const ours = await settled(action.handler(makeContext(k8sInput)));
    expect(ours).toMatch(
      /another operation \(install\/upgrade\/rollback\) is in progress/,
    );
    expect(ours).toMatch(/Nothing was changed/);
    expect(helm.commands()).not.toContain('uninstall');
    helm.letGo('upgrade');
    expect(await otherExit).toBe(0);
    expect(helm.releases()['loco/lan-party'].map(r => r.status)).toEqual([
      'deployed',
    ]);
  });

  it('on the local runtime: one create, and the second finds it (same spec) instead of creating again', async () => {
    const { deps, local } = makeDeps(helm);
    // Like LocalRuntime, creating takes a while (it resolves the image first).
    const create = local.createEnvironment.bind(local);
    local.createEnvironment = async spec => {
      await new Promise(resolve => setTimeout(resolve, 300));
      await create(spec);
    };
    const action = createLocoEnvironmentAction(deps);
    const input = {
      name: 'prov-unit',
      runtime: 'local',
      instances: 3,
      storageMode: 'ephemeral',
      snapshotTag: 'demo',
    };
    const results = await Promise.all([
      settled(action.handler(makeContext(input))),
      settled(action.handler(makeContext(input))),
      settled(action.handler(makeContext({ ...input, instances: 5 }))),
    ]);
    expect(results).toEqual([
      'done',
      'done',
      'A Loco environment named prov-unit already exists',
    ]);
    expect(local.calls).toEqual(['create prov-unit']);
  });
});
