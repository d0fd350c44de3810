import { CoreV1Api, KubeConfig, V1Pod } from '@kubernetes/client-node';
import { abortable } from './ClusterWatcher';
import { backoffDelay } from './ReportingWatch';
import { ResourceWatch } from './ResourceWatch';
import { emulatorPod } from './__testUtils__/emulatorObjects';
import { FakeKubernetesApiServer } from './__testUtils__/FakeKubernetesApiServer';

// Waits are for events, never for time; this only bounds a hung test on a
// busy machine. Spacing between retries is checked with lower bounds only
// (a slow machine can make them longer, never shorter).
jest.setTimeout(30_000);

const TOKEN = 'test-token';
/** Date.now() and timers round to whole ms: bounds allow that much. */
const CLOCK_SLACK_MS = 5;
/** Half of a 200 ms first step (the jitter's floor), less the clock slack. */
const MIN_GAP = 100 - CLOCK_SLACK_MS;
const PATH = '/api/v1/namespaces/loco/pods';
const servers: FakeKubernetesApiServer[] = [];
const watches: ResourceWatch<V1Pod>[] = [];

afterEach(async () => {
  await Promise.all(watches.splice(0).map(w => w.stop()));
  await Promise.all(servers.splice(0).map(s => s.close()));
});

async function startApi() {
  const api = new FakeKubernetesApiServer({ token: TOKEN });
  await api.start();
  servers.push(api);
  return api;
}

/** A pod watch of namespace loco against `api`, and a way to wait for its state. */
function watchPods(
  api: FakeKubernetesApiServer,
  options: { initialMs?: number; maxMs?: number; listTimeoutMs?: number } = {},
) {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: api.url, skipTLSVerify: true }],
    users: [{ name: 'u', token: TOKEN }],
    contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
    currentContext: 'c',
  });
  const core = kc.makeApiClient(CoreV1Api);
  const errors: string[] = [];
  const wakers = new Set<() => void>();
  const wake = () => wakers.forEach(w => w());
  const watch: ResourceWatch<V1Pod> = new ResourceWatch<V1Pod>({
    kubeConfig: kc,
    path: PATH,
    labelSelector: 'loco.dev/environment',
    list: signal =>
      core.listNamespacedPod(
        { namespace: 'loco', labelSelector: 'loco.dev/environment' },
        abortable(signal),
      ),
    backoff: {
      initialMs: options.initialMs ?? 50,
      maxMs: options.maxMs ?? 5000,
    },
    listTimeoutMs: options.listTimeoutMs ?? 15_000,
    onChange: wake,
    onStatus: wake,
    onListed: wake,
    onError: () => {
      errors.push(watch.lastError ?? '');
      wake();
    },
  });
  watches.push(watch);
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
  const names = () => watch.objects().map(p => p.metadata!.name);
  watch.start();
  return { watch, errors, until, names };
}

const requestsOf = (api: FakeKubernetesApiServer, watching: boolean) =>
  api.requests.filter(r => r.path === PATH && r.watch === watching);

/** Gaps between consecutive requests, in ms. */
const gaps = (requests: { at: number }[]) =>
  requests.slice(1).map((r, i) => r.at - requests[i].at);

describe('ResourceWatch against a failing API server', () => {
  it('retries a list that fails with 500, 503 and 504, backing off more each time, and says what failed', async () => {
    const api = await startApi();
    api.apply('pods', emulatorPod('lab', 0));
    api.faults.fail({ verb: 'list' }, { code: 500 });
    api.faults.fail({ verb: 'list' }, { code: 503 });
    api.faults.fail({ verb: 'list' }, { code: 504 });
    const { watch, errors, until, names } = watchPods(api, { initialMs: 200 });
    await until(() => watch.listed);
    expect(names()).toEqual(['lab-0']);
    expect(watch.failing).toBe(false);
    expect(watch.lastError).toBeNull();
    expect(errors).toEqual([
      `list ${PATH}: HTTP 500: Internal error occurred: etcdserver: request timed out`,
      `list ${PATH}: HTTP 503: etcd is unavailable`,
      `list ${PATH}: HTTP 504: Timeout: request did not complete within requested timeout - context deadline exceeded`,
    ]);
    // Backoff: at least half of 200, 400, 800 ms (jitter is 50-100 %).
    const spacing = gaps(requestsOf(api, false));
    expect(spacing).toHaveLength(3);
    spacing.forEach((gap, i) =>
      expect(gap).toBeGreaterThanOrEqual(MIN_GAP * 2 ** i),
    );
  });

  it('waits as long as a throttled list (429) asks in Retry-After, and reports the Status message', async () => {
    const api = await startApi();
    api.faults.fail({ verb: 'list' }, { code: 429, retryAfterSeconds: 1 });
    const { watch, errors, until } = watchPods(api, { initialMs: 10 });
    await until(() => watch.listed);
    expect(errors).toEqual([
      `list ${PATH}: HTTP 429: storage is (re)initializing`,
    ]);
    const [gap] = gaps(requestsOf(api, false));
    expect(gap).toBeGreaterThanOrEqual(1000 - CLOCK_SLACK_MS);
  });

  it('reports an RBAC denial with the API server message, keeps trying, and lists once allowed', async () => {
    const api = await startApi();
    api.apply('pods', emulatorPod('lab', 0));
    const allow = api.faults.forbid({ verb: 'list', resource: 'pods' });
    const { watch, errors, until, names } = watchPods(api);
    await until(() => errors.length >= 2);
    expect(watch.listed).toBe(false);
    expect(watch.failing).toBe(true);
    expect(watch.lastError).toBe(
      `list ${PATH}: HTTP 403: pods is forbidden: User "system:serviceaccount:loco:loco-portal" cannot list resource "pods" in API group "" in the namespace "loco"`,
    );
    allow();
    await until(() => watch.listed && !watch.failing);
    expect(names()).toEqual(['lab-0']);
  });

  it('gives up on a list that hangs after listTimeoutMs and tries again', async () => {
    const api = await startApi();
    api.apply('pods', emulatorPod('lab', 0));
    api.faults.fail({ verb: 'list' }, { code: 'hang' });
    const { watch, errors, until, names } = watchPods(api, {
      listTimeoutMs: 300,
    });
    await until(() => watch.listed);
    expect(errors).toEqual([`list ${PATH}: timed out after 300 ms`]);
    expect(names()).toEqual(['lab-0']);
    expect(requestsOf(api, false)).toHaveLength(2);
    // The hung request was aborted, not left open (retries would pile them up).
    expect(api.hung).toHaveLength(1);
    await Promise.all(api.hung);
  });

  it('aborts a list in flight when stopped', async () => {
    const api = await startApi();
    api.faults.fail({ verb: 'list' }, { code: 'hang' });
    // Long enough that only stop() can end the request within the test.
    const { watch } = watchPods(api, { listTimeoutMs: 600_000 });
    await api.waitForRequest(r => r.path === PATH && !r.watch);
    expect(api.hung).toHaveLength(1);
    await watch.stop();
    await Promise.all(api.hung); // closed by us, not by the server
    expect(watch.listed).toBe(false);
  });

  it('keeps the last known pods while watches are throttled or fail, and catches up after', async () => {
    const api = await startApi();
    api.apply('pods', emulatorPod('lab', 0));
    const { watch, errors, until, names } = watchPods(api);
    await api.waitForWatches(1);
    await until(() => watch.listed);

    api.faults.fail({ verb: 'watch' }, { code: 429 });
    api.faults.fail({ verb: 'watch' }, { code: 503 });
    api.dropWatches();
    // The dropped stream itself ends in an error ('Premature close') first.
    await until(() => errors.some(e => e.includes('HTTP 503')));
    // While it fails, what we knew stays, marked as failing.
    expect(names()).toEqual(['lab-0']);
    expect(errors.slice(-2)).toEqual([
      // client-node's watch drops the body: only the status line is known.
      `watch ${PATH}: HTTP 429: Too Many Requests`,
      `watch ${PATH}: HTTP 503: Service Unavailable`,
    ]);
    api.apply('pods', emulatorPod('lab', 1));
    await until(() => !watch.failing && names().length === 2);
    expect(names().sort()).toEqual(['lab-0', 'lab-1']);
  });

  it('relists after 410 Gone and drops what went away meanwhile', async () => {
    const api = await startApi();
    api.apply('pods', emulatorPod('lab', 0));
    api.apply('pods', emulatorPod('lab', 1));
    const { watch, until, names } = watchPods(api);
    await api.waitForWatches(1);
    await until(() => watch.listed);
    api.dropWatches();
    api.compact();
    api.remove('pods', 'loco', 'lab-1');
    await until(() => names().length === 1);
    expect(names()).toEqual(['lab-0']);
    expect(requestsOf(api, false)).toHaveLength(2);
    expect(watch.failing).toBe(false);
  });

  it('backs off when watches end at once without events (a proxy closing them) instead of reconnecting in a hot loop', async () => {
    const api = await startApi();
    api.apply('pods', emulatorPod('lab', 0));
    api.faults.fail({ verb: 'watch' }, { code: 'close' }, 3);
    const { watch, errors, until } = watchPods(api, { initialMs: 200 });
    await until(() => watch.listed);
    await api.waitForWatches(1); // the fourth watch stays open
    const spacing = gaps(requestsOf(api, true));
    expect(spacing).toHaveLength(3);
    spacing.forEach((gap, i) =>
      expect(gap).toBeGreaterThanOrEqual(MIN_GAP * 2 ** i),
    );
    // A clean end is not an error, and the pods were never lost.
    expect(errors).toEqual([]);
    expect(watch.objects()).toHaveLength(1);
  });
});

describe('backoffDelay', () => {
  it('doubles from the initial step up to the cap, with 50-100 % jitter', () => {
    const backoff = { initialMs: 100, maxMs: 1000 };
    for (const [failures, step] of [
      [1, 100],
      [2, 200],
      [4, 800],
      [5, 1000],
      [30, 1000],
    ]) {
      for (let i = 0; i < 50; i++) {
        const delay = backoffDelay(backoff, failures);
        expect(delay).toBeGreaterThanOrEqual(step / 2);
        expect(delay).toBeLessThanOrEqual(step);
      }
    }
  });
});
