// A Kubernetes cluster for an e2e portal: the TEST DOUBLE API server
// (plugins/loco-node/src/kubernetes/__testUtils__/FakeKubernetesApiServer.ts)
// over TLS with a CA of its own, serving environment releases as the chart
// renders them, and the `kubernetes` config block that points Backstage's
// Kubernetes plugin (and with it Loco's Kubernetes runtime) at it.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { importBundled } from '../../emulator-image/helpers/bundle.ts';

type Objects = typeof import('./fakeCluster.entry.ts');

export interface FakeCluster {
  /** The cluster's name in the config, and the environments' location. */
  name: string;
  /** The `kubernetes` block of an app-config, as Backstage's own README has it. */
  config: object;
  /** The fake itself, for requests and changes a test makes. */
  api: InstanceType<Objects['FakeKubernetesApiServer']>;
  close(): Promise<void>;
}

export interface FakeRelease {
  environment: string;
  instances: number;
  namespace: string;
}

/**
 * Starts the fake with each release's objects: the chart's emulator
 * StatefulSet, its running pods (made from the StatefulSet as the controller
 * makes them, so they carry the chart's labels and an owner reference to it)
 * and the agent Secret. Pod IPs are in TEST-NET-1 (192.0.2.0/24, RFC 5737): nothing answers
 * there, so the portal's health probes fail rather than reach some local port.
 */
export async function startFakeCluster(
  releases: FakeRelease[],
  name = 'e2e-cluster',
): Promise<FakeCluster> {
  const objects = await importBundled<Objects>(
    join(import.meta.dirname, 'fakeCluster.entry.ts'),
  );
  const certificates = objects.makeTestCertificates();
  const token = randomBytes(16).toString('hex');
  const api = new objects.FakeKubernetesApiServer({
    token,
    tls: { cert: certificates.cert, key: certificates.key },
  });
  await api.start();
  let ip = 10;
  for (const { environment, instances, namespace } of releases) {
    // Pods from the StatefulSet as stored (with the uid the server gave it):
    // their owner reference is how the Kubernetes tab groups them under it.
    const set = api.apply(
      'statefulsets',
      objects.emulatorStatefulSet(environment, {
        replicas: instances,
        namespace,
      }),
    );
    api.apply(
      'secrets',
      objects.agentSecret(environment, randomBytes(8).toString('hex'), {
        namespace,
      }),
    );
    for (let i = 0; i < instances; i++) {
      api.apply(
        'pods',
        objects.podFromStatefulSet(set, i, { podIP: `192.0.2.${ip++}` }),
      );
    }
  }
  return {
    name,
    api,
    config: {
      serviceLocatorMethod: { type: 'multiTenant' },
      clusterLocatorMethods: [
        {
          type: 'config',
          clusters: [
            {
              name,
              url: api.url,
              authProvider: 'serviceAccount',
              serviceAccountToken: token,
              // Verified against the cluster's CA, as a real cluster's is.
              caFile: certificates.caFile,
              skipMetricsLookup: true,
            },
          ],
        },
      ],
      // The kinds the chart makes that the fake serves; the plugin's default
      // list adds services, configmaps, ..., which the fake answers 404.
      objectTypes: ['pods', 'statefulsets'],
    },
    async close() {
      await api.close();
      certificates.dispose();
    },
  };
}
