import type { RuntimeListing } from '../runtime/EmulatorRuntime';
import {
  emulatorPod,
  emulatorStatefulSet,
} from './__testUtils__/emulatorObjects';
import { FakeEmulatorHealthServer } from './__testUtils__/FakeEmulatorHealthServer';
import {
  fakeCluster,
  kubernetesRuntimeFixture,
  waitForListing,
} from './__testUtils__/kubernetesRuntimeFixture';

// Kubernetes `restart` of an instance and per-cluster errors, against a fake
// API server that deletes pods gracefully and re-creates StatefulSet pods.
// Waits are for events, never for time; this only bounds a hung test.
jest.setTimeout(30_000);

const { startApi, startRuntime, onCleanUp } = kubernetesRuntimeFixture();

const instance = (l: RuntimeListing, env: string, index: number) =>
  l.items.find(e => e.name === env)?.instances[index];

describe('KubernetesRuntime restart', () => {
  it('deletes the pod gracefully; the instance shows terminating, then its StatefulSet brings a new pod up healthy', async () => {
    const health = new FakeEmulatorHealthServer('127.0.0.2');
    const port = await health.start();
    onCleanUp(() => health.stop());
    const api = await startApi({
      statefulSetController: true,
      terminationMs: Infinity, // the kubelet stops it when the test says
    });
    api.apply('statefulsets', emulatorStatefulSet('lab', { replicas: 1 }));
    const before = api.apply(
      'pods',
      emulatorPod('lab', 0, { podIP: '127.0.0.2' }),
    );
    const runtime = startRuntime([fakeCluster('alpha', api)], {
      ports: { vnc: 1, health: port },
    });
    await waitForListing(
      runtime,
      l => instance(l, 'lab', 0)?.state === 'healthy',
    );

    await runtime.runAction('lab', 0, 'restart');
    const deletes = api.requests.filter(r => r.method === 'DELETE');
    expect(deletes.map(r => r.path)).toEqual([
      '/api/v1/namespaces/loco/pods/lab-0',
    ]);
    const terminating = await waitForListing(runtime, l =>
      Boolean(
        instance(l, 'lab', 0)?.health.reasons.includes('pod is terminating'),
      ),
    );
    // Still running until the kubelet stops it, and said to be going away.
    expect(instance(terminating, 'lab', 0)!.health.reasons[0]).toBe(
      'pod is terminating',
    );

    api.finishTermination('loco', 'lab-0');
    await waitForListing(runtime, l => {
      const i = instance(l, 'lab', 0);
      return Boolean(
        i &&
          !i.health.reasons.includes('pod is terminating') &&
          i.state !== 'healthy',
      );
    });
    const after = await waitForListing(
      runtime,
      l => instance(l, 'lab', 0)?.state === 'healthy',
    );
    const fresh = api.get('pods', 'loco', 'lab-0');
    expect(fresh.metadata.uid).not.toBe(before.metadata.uid);
    expect(fresh.status.phase).toBe('Running');
    expect(after.errors).toEqual([]);
  });

  it('refuses to restart an instance that has no pod, and reports the API server refusing the delete', async () => {
    const api = await startApi();
    api.apply('statefulsets', emulatorStatefulSet('lab', { replicas: 1 }));
    api.apply('pods', emulatorPod('lab', 0));
    const runtime = startRuntime([fakeCluster('alpha', api)]);
    await waitForListing(runtime, l => Boolean(instance(l, 'lab', 0)));
    await expect(runtime.runAction('lab', 3, 'restart')).rejects.toThrow(
      'Environment lab has no running instance 3',
    );
    api.faults.forbid({ verb: 'delete', resource: 'pods' });
    await expect(runtime.runAction('lab', 0, 'restart')).rejects.toMatchObject({
      code: 403,
    });
    expect(
      api.get('pods', 'loco', 'lab-0').metadata.deletionTimestamp,
    ).toBeUndefined();
  });
});

describe('KubernetesRuntime cluster errors', () => {
  it('reports a cluster whose RBAC forbids reading pods with the API server message, and keeps the other clusters', async () => {
    const good = await startApi();
    const denied = await startApi({
      user: 'system:serviceaccount:loco:portal',
    });
    good.apply('pods', emulatorPod('lab', 0));
    denied.apply('pods', emulatorPod('hidden', 0));
    denied.faults.forbid({ resource: 'pods' });
    const runtime = startRuntime([
      fakeCluster('good', good),
      fakeCluster('denied', denied),
    ]);
    const listing = await waitForListing(
      runtime,
      l =>
        Boolean(instance(l, 'lab', 0)) &&
        !l.errors.some(e => e.location === 'good') &&
        l.errors.some(e => e.message.includes('HTTP 403')),
    );
    expect(listing.items.map(e => `${e.location}/${e.name}`)).toEqual([
      'good/lab',
    ]);
    expect(listing.errors).toEqual([
      {
        location: 'denied',
        message:
          'list /api/v1/namespaces/loco/pods: HTTP 403: pods is forbidden: User "system:serviceaccount:loco:portal" cannot list resource "pods" in API group "" in the namespace "loco"',
      },
    ]);
  });

  it('reports a lost watch permission as serving last known state, and recovers when it is granted again', async () => {
    const api = await startApi();
    api.apply('pods', emulatorPod('lab', 0));
    const runtime = startRuntime([fakeCluster('alpha', api)]);
    await api.waitForWatches(2);
    await waitForListing(
      runtime,
      l => Boolean(instance(l, 'lab', 0)) && l.errors.length === 0,
    );

    const allow = api.faults.forbid({ verb: 'watch', resource: 'pods' });
    api.dropWatches();
    const during = await waitForListing(runtime, l =>
      l.errors.some(e => e.message.includes('HTTP 403')),
    );
    expect(during.errors).toEqual([
      {
        location: 'alpha',
        message:
          'serving last known state: watch /api/v1/namespaces/loco/pods: HTTP 403: Forbidden',
      },
    ]);
    expect(during.items.find(e => e.name === 'lab')).toMatchObject({
      stale: true,
    });

    allow();
    const after = await waitForListing(runtime, l => l.errors.length === 0);
    expect(after.items.find(e => e.name === 'lab')).toMatchObject({
      stale: false,
    });
  });
});
