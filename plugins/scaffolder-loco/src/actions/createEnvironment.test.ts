import { readFileSync } from 'node:fs';
import { InputError, NotAllowedError } from '@backstage/errors';
import yaml from 'yaml';
import { createFakeHelm, FakeHelm } from '../__testUtils__/fakeHelm';
import {
  CA_PEM,
  makeContext,
  makeDeps,
  K8S_INPUT,
} from '../__testUtils__/setup';
import { createLocoEnvironmentAction } from './createEnvironment';

// Each helm call is a process of the fake helm that validates and renders the chart.
jest.setTimeout(30_000);

let helm: FakeHelm;
beforeEach(() => {
  helm = createFakeHelm();
});
afterEach(() => helm.cleanup());

const k8sInput = K8S_INPUT;

function setup(options: { deny?: boolean } = {}) {
  const { deps, local } = makeDeps(helm, options);
  return { action: createLocoEnvironmentAction(deps), local };
}

describe('loco:environment:create on kubernetes (Helm)', () => {
  it('runs helm upgrade --install with a generated values file and the cluster credentials', async () => {
    const { action } = setup();
    const ctx = makeContext(k8sInput);
    await action.handler(ctx);

    expect(helm.commands()).toEqual(['history', 'upgrade']);
    const install = helm.calls()[1];
    const valuesFile = install.argv[install.argv.indexOf('--values') + 1];
    const caFile = install.argv[install.argv.indexOf('--kube-ca-file') + 1];
    expect(install.argv).toEqual([
      'upgrade',
      '--install',
      'lan-party',
      expect.stringMatching(/\/chart$/),
      '--namespace',
      'loco',
      '--create-namespace',
      '--values',
      valuesFile,
      '--wait',
      '--timeout',
      '5m',
      '--kube-apiserver',
      'https://k8s.example:6443',
      '--kube-ca-file',
      caFile,
    ]);
    expect(valuesFile.startsWith(ctx.workspacePath)).toBe(true);
    expect(readFileSync(caFile, 'utf8')).toBe(CA_PEM);
    // The token reaches helm through HELM_KUBETOKEN, never on the command line.
    expect(install.token).toBe('sa-token-123');
    expect(install.argv.join(' ')).not.toContain('sa-token-123');
    expect(yaml.parse(install.values!)).toEqual({
      environment: { name: 'lan-party', owner: 'group:default/team-a' },
      instances: 9,
      storage: { mode: 'persistent' },
      snapshot: {
        tag: 'win98-base',
        registry: 'ghcr.io/example/loco-snapshots',
      },
    });
    expect(helm.releases()['loco/lan-party'].map(r => r.status)).toEqual([
      'deployed',
    ]);
    expect(ctx.output).toHaveBeenCalledWith(
      'entityRef',
      'resource:default/lan-party',
    );
    expect(ctx.output).toHaveBeenCalledWith(
      'locoUrl',
      '/catalog/default/resource/lan-party/loco',
    );
    expect(ctx.output).toHaveBeenCalledWith('location', 'prod-eu');
  });

  it('defaults the owner to the user running the template and uses kubeconfig clusters', async () => {
    const { action } = setup();
    const ctx = makeContext({
      ...k8sInput,
      cluster: 'lab',
      namespace: undefined,
      owner: undefined,
      wait: false,
    });
    await action.handler(ctx);
    const install = helm.calls()[1];
    expect(install.argv).toEqual(
      expect.arrayContaining([
        '--kubeconfig',
        '/etc/loco/kubeconfig',
        '--kube-context',
        'lab-admin',
      ]),
    );
    expect(install.argv).not.toContain('--wait');
    expect(install.argv).toEqual(
      expect.arrayContaining(['--namespace', 'loco']),
    );
    expect(yaml.parse(install.values!).environment.owner).toBe(
      'user:default/alice',
    );
  });

  it.each([
    ['instance count 0', { instances: 0 }],
    ['instance count 10,000', { instances: 10000 }],
    ['a shell metacharacter name', { name: 'a;rm -rf /' }],
    ['a YAML metacharacter name', { name: 'x: y' }],
    ['a command substitution name', { name: '$(id)' }],
    ['an upper-case name', { name: 'Loco' }],
    ['an unknown storage mode', { storageMode: 'tmpfs' }],
    ['an unknown cluster', { cluster: 'nope' }],
    ['an unwatched namespace', { namespace: 'kube-system' }],
    ['an unknown snapshot tag', { snapshotTag: 'win2000' }],
    ['an owner smuggling YAML', { owner: 'user:default/x\nfoo: bar' }],
    [
      'a registry with a scheme',
      { snapshotRegistry: 'https://evil.example/x' },
    ],
    ['a timeout that is no duration', { timeout: '10 minutes; reboot' }],
    ['an unknown input key', { set: 'image.repository=evil' }],
  ])('rejects %s with InputError before helm runs', async (_what, change) => {
    const { action } = setup();
    const ctx = makeContext({ ...k8sInput, ...change });
    await expect(action.handler(ctx)).rejects.toBeInstanceOf(InputError);
    expect(helm.calls()).toEqual([]);
  });

  it("uninstalls a failed first install and fails with helm's own error", async () => {
    const { action } = setup();
    helm.failOn('upgrade', {
      exitCode: 1,
      stderr: 'Error: context deadline exceeded',
    });
    const ctx = makeContext(k8sInput);
    const failure = action.handler(ctx);
    await expect(failure).rejects.toThrow(/context deadline exceeded/);
    await expect(failure).rejects.toThrow(/uninstalled/);
    expect(helm.commands()).toEqual(['history', 'upgrade', 'uninstall']);
    expect(helm.calls()[2].argv).toEqual(
      expect.arrayContaining([
        'uninstall',
        'lan-party',
        '--namespace',
        'loco',
        '--wait',
      ]),
    );
    expect(helm.releases()['loco/lan-party']).toBeUndefined();
    expect(ctx.output).not.toHaveBeenCalled();
  });

  it('rolls a failed re-run of an existing release back to its deployed revision', async () => {
    const { action } = setup();
    await action.handler(makeContext(k8sInput));
    helm.failOn('upgrade', {
      exitCode: 1,
      stderr: 'Error: UPGRADE FAILED: timed out waiting for the condition',
    });
    // The same step again (a re-run converges with helm upgrade --install).
    await expect(action.handler(makeContext(k8sInput))).rejects.toThrow(
      /UPGRADE FAILED: timed out waiting for the condition[\s\S]*Rolled back to revision 1/,
    );
    expect(helm.calls().at(-1)!.argv).toEqual(
      expect.arrayContaining(['rollback', 'lan-party', '1', '--wait']),
    );
    const release = helm.releases()['loco/lan-party'];
    expect(release.map(r => r.status)).toEqual([
      'superseded',
      'failed',
      'deployed',
    ]);
    expect(yaml.parse(release[2].values).instances).toBe(9);
  });

  it('does not touch a release when the cluster cannot be reached', async () => {
    const { action } = setup();
    helm.failOn('history', {
      exitCode: 1,
      stderr: 'Error: Kubernetes cluster unreachable: dial tcp: i/o timeout',
    });
    await expect(action.handler(makeContext(k8sInput))).rejects.toThrow(
      /cluster unreachable/,
    );
    expect(helm.commands()).toEqual(['history']);
  });

  it('changes nothing in a dry run but writes the values file it would use', async () => {
    const { action } = setup();
    const ctx = makeContext(k8sInput, { isDryRun: true });
    await action.handler(ctx);
    // Only the read-only check the real run makes first.
    expect(helm.commands()).toEqual(['history']);
    expect(helm.releases()).toEqual({});
    const values = yaml.parse(
      readFileSync(
        `${ctx.workspacePath}/.loco-helm/lan-party-values.yaml`,
        'utf8',
      ),
    );
    expect(values.instances).toBe(9);
    expect(ctx.output).toHaveBeenCalledWith(
      'entityRef',
      'resource:default/lan-party',
    );
  });

  it('skips helm on a re-run of a step whose checkpoint succeeded', async () => {
    const { action } = setup();
    const done = new Map<string, unknown>();
    const withCheckpoints = () => {
      const ctx = makeContext(k8sInput);
      ctx.checkpoint = (async ({
        key,
        fn,
      }: {
        key: string;
        fn: () => Promise<unknown>;
      }) => {
        if (!done.has(key)) done.set(key, await fn());
        return done.get(key);
      }) as any;
      return ctx;
    };
    await action.handler(withCheckpoints());
    await action.handler(withCheckpoints());
    expect(helm.commands()).toEqual(['history', 'upgrade']);
  });

  it('refuses users without loco.environment.manage', async () => {
    const { action } = setup({ deny: true });
    await expect(action.handler(makeContext(k8sInput))).rejects.toBeInstanceOf(
      NotAllowedError,
    );
    expect(helm.calls()).toEqual([]);
  });
});

describe('loco:environment:create on the local runtime', () => {
  const localInput = {
    name: 'prov-unit',
    runtime: 'local',
    instances: 3,
    storageMode: 'ephemeral',
    snapshotTag: 'demo',
  };

  it('creates the environment through LocoRuntimes and waits until it is healthy', async () => {
    const { action, local } = setup();
    const ctx = makeContext(localInput);
    await action.handler(ctx);
    expect(local.envs.get('prov-unit')).toEqual({
      name: 'prov-unit',
      instances: 3,
      storageMode: 'ephemeral',
      snapshotTag: 'demo',
      owner: 'user:default/alice',
    });
    expect(ctx.output).toHaveBeenCalledWith(
      'entityRef',
      'resource:default/prov-unit',
    );
    expect(ctx.output).toHaveBeenCalledWith(
      'locoUrl',
      '/catalog/default/resource/prov-unit/loco',
    );
    expect(helm.calls()).toEqual([]);
  });

  it('destroys an environment that does not become healthy in time', async () => {
    const { action, local } = setup();
    local.state = 'starting';
    await expect(
      action.handler(makeContext({ ...localInput, timeout: '1s' })),
    ).rejects.toThrow(
      /did not become healthy in time: prov-unit-0: starting \(guest still booting\)/,
    );
    expect(local.calls).toEqual(['create prov-unit', 'destroy prov-unit']);
  });

  it('treats a re-run with the same spec as done and a different one as a conflict', async () => {
    const { action, local } = setup();
    await action.handler(makeContext(localInput));
    await action.handler(makeContext(localInput));
    await expect(
      action.handler(makeContext({ ...localInput, instances: 5 })),
    ).rejects.toThrow(/already exists/);
    expect(local.calls).toEqual(['create prov-unit']);
  });

  it.each([
    ['an unknown local snapshot tag', { snapshotTag: 'win98-base' }],
    ['a cluster', { cluster: 'prod-eu' }],
    ['a namespace', { namespace: 'loco' }],
  ])('rejects %s with InputError', async (_what, change) => {
    const { action, local } = setup();
    await expect(
      action.handler(makeContext({ ...localInput, ...change })),
    ).rejects.toBeInstanceOf(InputError);
    expect(local.calls).toEqual([]);
  });

  it('creates nothing in a dry run', async () => {
    const { action, local } = setup();
    const ctx = makeContext(localInput, { isDryRun: true });
    await action.handler(ctx);
    expect(local.calls).toEqual([]);
    expect(ctx.output).toHaveBeenCalledWith('environment', 'prov-unit');
  });
});
