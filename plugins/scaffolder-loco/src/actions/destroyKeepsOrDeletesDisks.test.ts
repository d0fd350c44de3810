import { InputError } from '@backstage/errors';
import { FakeClaimsApi } from '../__testUtils__/fakeClaimsApi';
import { createFakeHelm, FakeHelm } from '../__testUtils__/fakeHelm';
import { makeContext, makeDeps } from '../__testUtils__/setup';
import { createLocoEnvironmentAction } from './createEnvironment';
import { destroyLocoEnvironmentAction } from './destroyEnvironment';

/**
 * Issue 16 point 4: a destroy is idempotent and says what it keeps;
 * deleteDisks really deletes the claims. `helm uninstall` deletes the
 * release's resources only (pkg/action/uninstall.go deletes the manifest's
 * objects), and a StatefulSet's claims are not among them: the chart keeps
 * them (persistentVolumeClaimRetentionPolicy Retain), so the provisioner
 * deletes them through the Kubernetes API, recorded here by a test double.
 */

// Each helm call is a process of the fake helm that validates and renders the chart.
jest.setTimeout(30_000);

const TOKEN = 'sa-token-123';
const SELECTOR =
  'app.kubernetes.io/instance=lan-party,app.kubernetes.io/component=emulator';
const target = { runtime: 'kubernetes', cluster: 'prod-eu', namespace: 'loco' };

let helm: FakeHelm;
let api: FakeClaimsApi;
let apiUrl: string;
beforeEach(async () => {
  helm = createFakeHelm();
  api = new FakeClaimsApi(TOKEN);
  apiUrl = await api.start();
});
afterEach(async () => {
  helm.cleanup();
  await api.stop();
});

function actions() {
  const { deps } = makeDeps(helm, {
    config: c => {
      const cluster = c.loco.kubernetes.clusters[0] as any;
      // Plain HTTP to the test double: client-node allows it only so.
      cluster.url = apiUrl;
      cluster.skipTLSVerify = true;
      delete cluster.caData;
    },
  });
  return {
    create: createLocoEnvironmentAction(deps),
    destroy: destroyLocoEnvironmentAction(deps),
  };
}

/** A context whose log and outputs the test reads. */
function context(input: object, extra: { isDryRun?: boolean } = {}) {
  const ctx = makeContext(input, extra);
  return Object.assign(ctx, {
    info: jest.spyOn(ctx.logger, 'info'),
    outputs: jest.spyOn(ctx, 'output'),
  });
}

/** What the StatefulSet controller makes for a persistent release of 2 instances. */
function claimsOfTwoInstances() {
  for (const i of [0, 1])
    api.addClaim('loco', `data-lan-party-lego-loco-cluster-${i}`, {
      'app.kubernetes.io/instance': 'lan-party',
      'app.kubernetes.io/name': 'lego-loco-cluster',
      'app.kubernetes.io/component': 'emulator',
    });
  // Another environment's claim in the same namespace stays untouched.
  api.addClaim('loco', 'data-other-lego-loco-cluster-0', {
    'app.kubernetes.io/instance': 'other',
    'app.kubernetes.io/component': 'emulator',
  });
}

const create = (storageMode: string) => ({
  ...target,
  name: 'lan-party',
  instances: 2,
  storageMode,
});

it('keeps the claims by default and says so, in the task log and the output', async () => {
  const { create: c, destroy } = actions();
  await c.handler(makeContext(create('persistent')));
  claimsOfTwoInstances();
  const ctx = context({ ...target, name: 'lan-party' });
  await destroy.handler(ctx);
  expect(helm.releases()).toEqual({});
  const kept = ctx.outputs.mock.calls.find(([key]) => key === 'kept')?.[1];
  expect(kept).toContain(`PersistentVolumeClaims labelled ${SELECTOR}`);
  expect(kept).toContain('deleteDisks');
  expect(ctx.info).toHaveBeenCalledWith(kept);
  expect(api.calls).toEqual([]);
  expect(api.claimNames('loco')).toHaveLength(3);
});

it("deleteDisks: true deletes the instances' claims after the uninstall, and only theirs", async () => {
  const { create: c, destroy } = actions();
  await c.handler(makeContext(create('persistent')));
  claimsOfTwoInstances();
  const ctx = context({ ...target, name: 'lan-party', deleteDisks: true });
  await destroy.handler(ctx);
  expect(helm.commands().at(-1)).toBe('uninstall');
  expect(api.calls).toEqual([
    { method: 'GET', namespace: 'loco', labelSelector: SELECTOR },
    { method: 'DELETE', namespace: 'loco', labelSelector: SELECTOR },
  ]);
  expect(api.claimNames('loco')).toEqual(['data-other-lego-loco-cluster-0']);
  expect(ctx.info).toHaveBeenCalledWith(
    'Deleted the disks: data-lan-party-lego-loco-cluster-0, data-lan-party-lego-loco-cluster-1',
  );
  expect(ctx.outputs).toHaveBeenCalledWith('kept', '');
});

it('ephemeral disks go with the pods: nothing is kept', async () => {
  const { create: c, destroy } = actions();
  await c.handler(makeContext(create('ephemeral')));
  const ctx = context({ ...target, name: 'lan-party' });
  await destroy.handler(ctx);
  expect(ctx.outputs).toHaveBeenCalledWith('kept', '');
});

it('is idempotent: destroying a missing release succeeds, says so and uninstalls nothing', async () => {
  const { create: c, destroy } = actions();
  await c.handler(makeContext(create('ephemeral')));
  await destroy.handler(makeContext({ ...target, name: 'lan-party' }));
  const again = context({ ...target, name: 'lan-party' });
  await destroy.handler(again);
  expect(helm.commands().filter(x => x === 'uninstall')).toHaveLength(1);
  expect(again.info).toHaveBeenCalledWith(
    'No Helm release lan-party in namespace loco on prod-eu: nothing to uninstall',
  );
  // A dry run says the same.
  const dry = context({ ...target, name: 'lan-party' }, { isDryRun: true });
  await destroy.handler(dry);
  expect(dry.info).toHaveBeenCalledWith(
    expect.stringMatching(
      /^Dry run: would do nothing: there is no Helm release lan-party in namespace loco on prod-eu/,
    ),
  );
});

it('a destroy again with deleteDisks deletes the claims an earlier destroy kept', async () => {
  const { create: c, destroy } = actions();
  await c.handler(makeContext(create('persistent')));
  claimsOfTwoInstances();
  await destroy.handler(makeContext({ ...target, name: 'lan-party' }));
  await destroy.handler(
    makeContext({ ...target, name: 'lan-party', deleteDisks: true }),
  );
  expect(api.claimNames('loco')).toEqual(['data-other-lego-loco-cluster-0']);
});

it('deleteDisks is refused on the local runtime (its disks are its own business)', async () => {
  const { destroy } = actions();
  await expect(
    destroy.handler(
      makeContext({ name: 'lan-party', runtime: 'local', deleteDisks: true }),
    ),
  ).rejects.toThrow(InputError);
});
