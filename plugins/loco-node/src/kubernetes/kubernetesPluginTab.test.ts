import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { mockCredentials } from '@backstage/backend-test-utils';
import type { Entity } from '@backstage/catalog-model';
import {
  KUBERNETES_PLUGIN_ANNOTATIONS,
  environmentLabelSelector,
} from '@loco-portal/plugin-loco-common';
import { emulatorPod } from './__testUtils__/emulatorObjects';
import { FakeKubernetesApiServer } from './__testUtils__/FakeKubernetesApiServer';

/**
 * Backstage's own Kubernetes backend (what its Kubernetes tab calls), started
 * with startTestBackend in a plain Node process (kubernetesPluginBackend.mjs
 * says why not in jest), against the fake API server serving chart-rendered
 * pods: the annotations Loco puts on an environment entity select exactly
 * that environment's pods.
 */
describe("Backstage's Kubernetes tab for a Loco environment", () => {
  const token = 'kube-plugin-token';
  const api = new FakeKubernetesApiServer({ token });
  let child: ChildProcess | undefined;

  beforeAll(() => api.start());
  afterAll(async () => {
    child?.stdin?.end();
    await api.close();
  });

  /** Starts the plugin's backend; resolves with its port once it says so. */
  function startKubernetesBackend(config: object, entities: Entity[]) {
    child = spawn(
      process.execPath,
      [
        path.join(__dirname, '__testUtils__/kubernetesPluginBackend.mjs'),
        JSON.stringify({ config, entities }),
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    const proc = child;
    return new Promise<number>((resolve, reject) => {
      let out = '';
      proc.stdout!.on('data', chunk => {
        out += chunk;
        const m = /PORT (\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      proc.once('exit', code => reject(new Error(`backend exited ${code}`)));
    });
  }

  it("lists the environment's pods, and not another environment's or namespace's, through /api/kubernetes/services/:name", async () => {
    api.apply('pods', emulatorPod('lab', 0, { instances: 2 }));
    api.apply('pods', emulatorPod('lab', 1, { instances: 2 }));
    api.apply('pods', emulatorPod('other', 0));
    // Same environment name in another namespace: outside the annotated one.
    api.apply('pods', emulatorPod('lab', 0, { namespace: 'elsewhere' }));

    // The entity as the catalog module publishes it for a Kubernetes environment.
    const entity: Entity = {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Resource',
      metadata: {
        name: 'lab',
        namespace: 'default',
        annotations: {
          [KUBERNETES_PLUGIN_ANNOTATIONS.id]: 'lab',
          [KUBERNETES_PLUGIN_ANNOTATIONS.labelSelector]:
            environmentLabelSelector('lab'),
          // emulatorPod renders the release into namespace "loco".
          [KUBERNETES_PLUGIN_ANNOTATIONS.namespace]: 'loco',
        },
      },
      spec: { type: 'loco-environment', owner: 'group:default/guests' },
    };
    const port = await startKubernetesBackend(
      {
        kubernetes: {
          serviceLocatorMethod: { type: 'multiTenant' },
          clusterLocatorMethods: [
            {
              type: 'config',
              clusters: [
                {
                  name: 'lab-cluster',
                  url: api.url,
                  authProvider: 'serviceAccount',
                  serviceAccountToken: token,
                  skipTLSVerify: true,
                  skipMetricsLookup: true,
                },
              ],
            },
          ],
          // The kinds the chart makes that the fake serves; a platform
          // team's default list adds services, configmaps, ... .
          objectTypes: ['pods', 'statefulsets'],
        },
      },
      [entity],
    );

    const res = await fetch(
      `http://127.0.0.1:${port}/api/kubernetes/services/lab`,
      {
        method: 'POST',
        headers: {
          authorization: mockCredentials.user.header(),
          'content-type': 'application/json',
        },
        body: JSON.stringify({ entity, auth: {} }),
      },
    );
    const body = await res.json();
    expect({ status: res.status, body }).toMatchObject({ status: 200 });
    const [cluster] = body.items;
    expect(cluster.cluster.name).toBe('lab-cluster');
    expect(cluster.errors).toEqual([]);
    const pods = cluster.resources.find((r: any) => r.type === 'pods');
    expect(pods.resources.map((p: any) => p.metadata.name).sort()).toEqual([
      'lab-0',
      'lab-1',
    ]);
    // A bound for a loaded CI machine starting a whole backend, not a speed goal.
  }, 60_000);
});
