import { KubeConfig } from '@kubernetes/client-node';
import { LocoMetrics } from '../metrics/LocoMetrics';
import { ClusterWatcher } from './ClusterWatcher';
import {
  emulatorPod,
  emulatorStatefulSet,
} from './__testUtils__/emulatorObjects';
import { FakeKubernetesApiServer } from './__testUtils__/FakeKubernetesApiServer';

// Waits are for events, never for time; this only bounds a hung test.
jest.setTimeout(30_000);

const TOKEN = 'test-token';
const stops: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

async function setUp(namespaces: string[]) {
  const api = new FakeKubernetesApiServer({ token: TOKEN });
  await api.start();
  stops.push(() => api.close());
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: api.url, skipTLSVerify: true }],
    users: [{ name: 'u', token: TOKEN }],
    contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
    currentContext: 'c',
  });
  const metrics = new LocoMetrics();
  const wakers = new Set<() => void>();
  const watcher = new ClusterWatcher({
    name: 'alpha',
    kubeConfig: kc,
    namespaces,
    backoff: { initialMs: 50, maxMs: 200 },
    listTimeoutMs: 15_000,
    metrics,
    onChange: () => wakers.forEach(w => w()),
  });
  stops.push(() => watcher.stop());
  const until = async (predicate: () => boolean) => {
    while (!predicate()) {
      await new Promise<void>(resolve => {
        const done = () => {
          wakers.delete(done);
          resolve();
        };
        wakers.add(done);
      });
    }
  };
  const podNames = () =>
    watcher
      .pods()
      .map(p => `${p.metadata!.namespace}/${p.metadata!.name}`)
      .sort();
  return { api, watcher, metrics, until, podNames };
}

describe('ClusterWatcher', () => {
  it('drops a pod that leaves the label contract and takes it back when it returns (selector transitions)', async () => {
    const { api, watcher, until, podNames } = await setUp(['loco']);
    api.apply('pods', emulatorPod('lab', 0));
    watcher.start();
    await until(() => watcher.status().synced && podNames().length === 1);

    const relabelled = structuredClone(api.get('pods', 'loco', 'lab-0'));
    relabelled.metadata.labels['app.kubernetes.io/component'] = 'lan-hub';
    api.apply('pods', relabelled);
    await until(() => podNames().length === 0);

    api.apply('pods', emulatorPod('lab', 0));
    await until(() => podNames().length === 1);
    expect(podNames()).toEqual(['loco/lab-0']);
  });

  it('watches each configured namespace, and names the one RBAC refuses while serving the others', async () => {
    const { api, watcher, metrics, until, podNames } = await setUp([
      'loco',
      'team',
    ]);
    api.apply('pods', emulatorPod('lab', 0));
    api.apply('statefulsets', emulatorStatefulSet('lab', { replicas: 1 }));
    api.apply('pods', emulatorPod('other', 0, { namespace: 'team' }));
    api.apply('pods', emulatorPod('outside', 0, { namespace: 'default' }));
    const allow = api.faults.forbid({ resource: 'pods', namespace: 'team' });
    watcher.start();
    await until(
      () =>
        podNames().length === 1 &&
        watcher.statefulSets().length === 1 &&
        watcher.status().error !== null,
    );
    expect(podNames()).toEqual(['loco/lab-0']);
    expect(watcher.statefulSets().map(s => s.metadata!.name)).toEqual(['lab']);
    expect(watcher.status()).toMatchObject({
      synced: false,
      stale: true,
      error:
        'list /api/v1/namespaces/team/pods: HTTP 403: pods is forbidden: User "system:serviceaccount:loco:loco-portal" cannot list resource "pods" in API group "" in the namespace "team"',
    });
    const errors = await metrics.discoveryErrors.get();
    expect(errors.values[0]).toMatchObject({ labels: { location: 'alpha' } });
    expect(errors.values[0].value).toBeGreaterThanOrEqual(1);

    allow();
    await until(() => watcher.status().synced && !watcher.status().stale);
    expect(podNames()).toEqual(['loco/lab-0', 'team/other-0']);
    expect(watcher.status().error).toBeNull();
  });

  it('watches all namespaces through the cluster-wide collections when none are configured', async () => {
    const { api, watcher, until, podNames } = await setUp([]);
    api.apply('pods', emulatorPod('lab', 0));
    api.apply('pods', emulatorPod('other', 0, { namespace: 'team' }));
    watcher.start();
    await until(() => watcher.status().synced && podNames().length === 2);
    expect(podNames()).toEqual(['loco/lab-0', 'team/other-0']);
    const paths = new Set(api.requests.map(r => r.path));
    expect(paths).toEqual(
      new Set(['/api/v1/pods', '/apis/apps/v1/statefulsets']),
    );
  });
});
