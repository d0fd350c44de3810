import { mockServices } from '@backstage/backend-test-utils';
import { createFakeHelm, FakeHelm } from './__testUtils__/fakeHelm';
import {
  FakeLocalRuntime,
  runtimesWith,
  testConfig,
} from './__testUtils__/setup';
import { readActionSettings } from './actions/settings';

// The runtime interface itself, without a scaffolder task: the Kubernetes
// runtime creates, changes and destroys an environment through the same Helm
// path the actions plan with (here the strict fake helm).
jest.setTimeout(60_000);

let helm: FakeHelm;
beforeEach(() => {
  helm = createFakeHelm();
});
afterEach(() => helm.cleanup());

function runtimes() {
  const settings = readActionSettings(
    mockServices.rootConfig({ data: testConfig(helm.binary) }),
  );
  return runtimesWith(new FakeLocalRuntime(), settings);
}

describe('KubernetesRuntime provisioning through Helm', () => {
  it('installs, scales and uninstalls a release with no options but the place', async () => {
    const all = runtimes();
    const where = { cluster: 'prod-eu', namespace: 'loco-staging' };
    await all.createEnvironment(
      'kubernetes',
      {
        name: 'api-made',
        instances: 2,
        storageMode: 'ephemeral',
        snapshotTag: 'win98-base',
        owner: 'group:default/team-a',
      },
      where,
    );
    const kubernetes = all.planner('kubernetes');
    const [installed] = helm.releases()['loco-staging/api-made'];
    expect(installed.status).toBe('deployed');
    expect(installed.config).toMatchObject({
      environment: { name: 'api-made', owner: 'group:default/team-a' },
      instances: 2,
      // The configured default registry, as the actions use it.
      snapshot: {
        tag: 'win98-base',
        registry: 'ghcr.io/example/loco-snapshots',
      },
    });
    const upgrade = helm.calls().find(c => c.argv[0] === 'upgrade')!;
    expect(upgrade.argv).toEqual(
      expect.arrayContaining(['--wait', '--timeout', '5m']),
    );
    expect(upgrade.token).toBe('sa-token-123');

    const scale = await kubernetes.planUpdate(
      'api-made',
      { instances: 3 },
      where,
    );
    expect(scale.description).toBe(
      'helm upgrade api-made on prod-eu/loco-staging to 3 instances',
    );
    await scale.apply();
    expect(
      helm.releases()['loco-staging/api-made'].at(-1)!.config,
    ).toMatchObject({ instances: 3 });

    // Not there: a destroy is a no-op that says so (issue 16: idempotent).
    const elsewhere = await kubernetes.planDestroy('api-made', {
      ...where,
      namespace: 'loco',
    });
    expect(elsewhere.existing).toBe(false);
    expect(elsewhere.description).toMatch(
      /^do nothing: there is no Helm release api-made/,
    );
    await elsewhere.apply();
    await (await kubernetes.planDestroy('api-made', where)).apply();
    expect(helm.releases()['loco-staging/api-made'] ?? []).toEqual([]);
    expect(helm.mutatingCommands()).toEqual([
      'upgrade',
      'upgrade',
      'uninstall',
    ]);
  });
});
