import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { PermissionsService } from '@backstage/backend-plugin-api';
import { mockServices } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import type { LocoEnvironment } from '@loco-portal/plugin-loco-common';
import {
  EmulatorRuntime,
  EnvironmentChange,
  EnvironmentSpec,
  KubernetesRuntime,
  LocoRuntimes,
  ProvisioningSettings,
} from '@loco-portal/plugin-loco-node';
import type { LocoActionDeps } from '../actions/context';
import { readActionSettings } from '../actions/settings';
import type { FakeHelm } from './fakeHelm';

export const CHART = path.resolve(__dirname, '../../../../chart');

/** Test double of the local runtime: keeps environments in memory, all instances in `state`. */
export class FakeLocalRuntime implements Partial<EmulatorRuntime> {
  readonly kind = 'local' as const;
  readonly envs = new Map<string, EnvironmentSpec>();
  readonly calls: string[] = [];
  /** The state every instance reports. */
  state: 'healthy' | 'starting' = 'healthy';
  async listEnvironments() {
    const items: LocoEnvironment[] = [...this.envs.values()].map(spec => ({
      name: spec.name,
      runtime: 'local',
      location: 'local',
      owner: spec.owner ?? null,
      storageMode: spec.storageMode,
      snapshotTag: spec.snapshotTag ?? 'demo',
      desiredInstances: spec.instances,
      instances: Array.from({ length: spec.instances }, (_, index) => ({
        index,
        name: `${spec.name}-${index}`,
        state: this.state,
        health: {
          state: this.state,
          reasons: this.state === 'healthy' ? [] : ['guest still booting'],
        } as any,
      })),
      summary: {
        state: this.state,
        total: spec.instances,
        healthy: this.state === 'healthy' ? spec.instances : 0,
        counts: {} as any,
      },
    }));
    return { items, errors: [] };
  }
  async createEnvironment(spec: EnvironmentSpec) {
    this.calls.push(`create ${spec.name}`);
    this.envs.set(spec.name, spec);
  }
  async updateEnvironment(name: string, change: EnvironmentChange) {
    this.calls.push(`update ${name} ${JSON.stringify(change)}`);
    const spec = this.envs.get(name)!;
    // As the real runtimes: a field left undefined is unchanged.
    const given = Object.entries(change).filter(([, v]) => v !== undefined);
    this.envs.set(name, {
      ...spec,
      ...Object.fromEntries(given),
    } as EnvironmentSpec);
  }
  async destroyEnvironment(name: string) {
    this.calls.push(`destroy ${name}`);
    this.envs.delete(name);
  }
}

export const CA_PEM =
  '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n';

export type TestConfig = ReturnType<typeof testConfig>;

export function testConfig(helmBinary: string) {
  return {
    loco: {
      local: {
        images: { demo: { path: '/tmp/demo.qcow2' } },
      } as { images: object; hostPath?: string },
      helm: {
        binary: helmBinary,
        chart: CHART,
        timeout: '5m',
        snapshotTags: ['win98-base', 'win98-lan-v2'],
        snapshotRegistry: 'ghcr.io/example/loco-snapshots',
      },
      kubernetes: {
        clusters: [
          {
            name: 'prod-eu',
            url: 'https://k8s.example:6443',
            caData: Buffer.from(CA_PEM).toString('base64'),
            authProvider: 'serviceAccount',
            serviceAccountToken: 'sa-token-123',
            namespaces: ['loco', 'loco-staging'],
          },
          {
            name: 'lab',
            authProvider: 'kubeconfig',
            kubeconfigPath: '/etc/loco/kubeconfig',
            kubeconfigContext: 'lab-admin',
          },
        ],
      },
    },
  };
}

/**
 * The runtimes the actions see: the local test double, and the real
 * Kubernetes runtime, which provisions through Helm (in the tests the fake
 * helm binary of `settings`) and watches no cluster, so it lists nothing.
 */
export function runtimesWith(
  local: FakeLocalRuntime,
  settings: ProvisioningSettings,
): LocoRuntimes {
  const kubernetes = new KubernetesRuntime({
    clusters: [],
    logger: mockServices.logger.mock(),
    provisioning: settings,
  });
  return new LocoRuntimes([local as unknown as EmulatorRuntime, kubernetes]);
}

/** Permissions double: allows or denies everything. */
export function fakePermissions(
  result: AuthorizeResult.ALLOW | AuthorizeResult.DENY = AuthorizeResult.ALLOW,
) {
  return {
    authorize: async (requests: unknown[]) => requests.map(() => ({ result })),
    authorizeConditional: async (requests: unknown[]) =>
      requests.map(() => ({ result })),
  } as unknown as PermissionsService;
}

export function makeDeps(
  helm: FakeHelm,
  options: { deny?: boolean; config?: (c: TestConfig) => void } = {},
) {
  const local = new FakeLocalRuntime();
  const auditor = mockServices.auditor.mock();
  const config = testConfig(helm.binary);
  options.config?.(config);
  const settings = readActionSettings(
    mockServices.rootConfig({ data: config }),
  );
  const deps: LocoActionDeps = {
    runtimes: runtimesWith(local, settings),
    settings,
    permissions: fakePermissions(
      options.deny ? AuthorizeResult.DENY : AuthorizeResult.ALLOW,
    ),
    auditor,
  };
  return { deps, local, auditor };
}

/** An action context with a real workspace directory and a user ref. */
export function makeContext<T extends Record<string, any>>(
  input: T,
  extra: { isDryRun?: boolean } = {},
) {
  const ctx = createMockActionContext({
    input: input as any,
    workspacePath: mkdtempSync(path.join(tmpdir(), 'loco-ws-')),
    user: { ref: 'user:default/alice' },
  });
  return Object.assign(ctx, extra) as typeof ctx & { isDryRun?: boolean };
}

/** The Kubernetes environment most action tests create: nine persistent emulators on prod-eu. */
export const K8S_INPUT = {
  name: 'lan-party',
  runtime: 'kubernetes',
  cluster: 'prod-eu',
  namespace: 'loco',
  instances: 9,
  storageMode: 'persistent',
  snapshotTag: 'win98-base',
  owner: 'group:default/team-a',
  wait: true,
};
