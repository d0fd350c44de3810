import { KubeConfig, PortForward } from '@kubernetes/client-node';
import { PassThrough } from 'node:stream';
import { LOCO_LABELS } from '@loco-portal/plugin-loco-common';
import { EMULATOR_SELECTOR } from '../ClusterWatcher';
import {
  agentSecret,
  emulatorPod,
  emulatorStatefulSet,
  renderEnvironment,
} from './emulatorObjects';
import { FakeKubernetesApiServer } from './FakeKubernetesApiServer';
import { parseLabelSelector } from './labelSelector';
import { rawRequest, rawWatch } from './rawApiClient';

// Tests of the TEST DOUBLE itself: pods as the API server, kubelet and
// StatefulSet controller treat them (sources cited in fakePodLifecycle.ts),
// and test objects that come from the chart (emulatorObjects.ts).

// Bounds a hung test on a busy machine; waits are for events.
jest.setTimeout(30_000);

const POD = (name: string) => `/api/v1/namespaces/loco/pods/${name}`;
const servers: FakeKubernetesApiServer[] = [];

async function startApi(
  options: ConstructorParameters<typeof FakeKubernetesApiServer>[0] = {},
) {
  const api = new FakeKubernetesApiServer(options);
  await api.start();
  servers.push(api);
  return api;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map(s => s.close()));
});

describe('fake API server: graceful pod deletion', () => {
  it('marks a running pod with deletionTimestamp and its grace period; the kubelet then stops and removes it', async () => {
    const api = await startApi();
    api.apply('pods', emulatorPod('lab', 0));
    const w = await rawWatch(api, '/api/v1/namespaces/loco/pods');
    await w.waitFor(1);
    const before = Date.now();
    const answer = await rawRequest(api, POD('lab-0'), { method: 'DELETE' });
    expect(answer.status).toBe(200);
    // The chart's terminationGracePeriodSeconds (30) applies.
    expect(answer.body.metadata.deletionGracePeriodSeconds).toBe(30);
    const due = Date.parse(answer.body.metadata.deletionTimestamp);
    expect(due).toBeGreaterThanOrEqual(
      Math.floor(before / 1000) * 1000 + 29_000,
    );

    const events = await w.waitFor(4);
    w.close();
    expect(events.map(e => e.type)).toEqual([
      'ADDED',
      'MODIFIED', // deletionTimestamp set, still running
      'MODIFIED', // containers stopped, not Ready
      'DELETED',
    ]);
    expect(events[1].object.status.phase).toBe('Running');
    expect(
      events[2].object.status.containerStatuses[0].state.terminated,
    ).toBeDefined();
    expect(api.get('pods', 'loco', 'lab-0')).toBeUndefined();
  });

  it('deletes at once with gracePeriodSeconds=0 or an unscheduled pod, and a second DELETE only shortens the period', async () => {
    // A kubelet that stops containers only when told, so the pod stays while terminating.
    const api = await startApi({ terminationMs: Infinity });
    api.apply('pods', emulatorPod('lab', 0, { unscheduled: true }));
    expect(
      (await rawRequest(api, POD('lab-0'), { method: 'DELETE' })).body.metadata
        .deletionTimestamp,
    ).toBeUndefined();
    expect(api.get('pods', 'loco', 'lab-0')).toBeUndefined();

    api.apply('pods', emulatorPod('lab', 1));
    await rawRequest(api, `${POD('lab-1')}?gracePeriodSeconds=0`, {
      method: 'DELETE',
    });
    expect(api.get('pods', 'loco', 'lab-1')).toBeUndefined();

    api.apply('pods', emulatorPod('lab', 2));
    const first = await rawRequest(
      api,
      `${POD('lab-2')}?gracePeriodSeconds=20`,
      {
        method: 'DELETE',
      },
    );
    const longer = await rawRequest(
      api,
      `${POD('lab-2')}?gracePeriodSeconds=60`,
      {
        method: 'DELETE',
      },
    );
    expect(longer.body.metadata.deletionGracePeriodSeconds).toBe(20);
    expect(longer.body.metadata.deletionTimestamp).toBe(
      first.body.metadata.deletionTimestamp,
    );
    const shorter = await rawRequest(
      api,
      `${POD('lab-2')}?gracePeriodSeconds=5`,
      { method: 'DELETE' },
    );
    expect(shorter.body.metadata.deletionGracePeriodSeconds).toBe(5);
    expect(
      api.get('pods', 'loco', 'lab-2').metadata.deletionTimestamp,
    ).toBeDefined();
    api.finishTermination('loco', 'lab-2');
    const gone = new Promise<void>(resolve =>
      api.onChange((type, _resource, o) => {
        if (type === 'DELETED' && o.metadata.name === 'lab-2') resolve();
      }),
    );
    await gone;
    expect(
      (await rawRequest(api, POD('nope'), { method: 'DELETE' })).status,
    ).toBe(404);
  });

  it('re-creates a deleted StatefulSet pod under the same name with a new uid, Pending, then Running', async () => {
    const api = await startApi({ statefulSetController: true });
    api.apply('statefulsets', emulatorStatefulSet('lab', { replicas: 1 }));
    const old = api.apply(
      'pods',
      emulatorPod('lab', 0, { podIP: '127.0.0.9' }),
    );
    const seen: { type: string; phase?: string; uid: string; node?: string }[] =
      [];
    const running = new Promise<void>(resolve =>
      api.onChange((type, resource, o) => {
        if (resource !== 'pods') return;
        seen.push({
          type,
          phase: o.status?.phase,
          uid: o.metadata.uid,
          node: o.spec.nodeName,
        });
        if (
          o.metadata.uid !== old.metadata.uid &&
          o.status?.phase === 'Running'
        )
          resolve();
      }),
    );
    await rawRequest(api, POD('lab-0'), { method: 'DELETE' });
    await running;
    const fresh = api.get('pods', 'loco', 'lab-0');
    expect(fresh.metadata.uid).not.toBe(old.metadata.uid);
    expect(fresh.status.podIP).toBe('127.0.0.9');
    expect(fresh.metadata.deletionTimestamp).toBeUndefined();
    expect(
      seen.map(s => `${s.type} ${s.uid === old.metadata.uid ? 'old' : 'new'}`),
    ).toEqual([
      'MODIFIED old', // terminating
      'MODIFIED old', // stopped
      'DELETED old',
      'ADDED new', // unscheduled
      'MODIFIED new', // bound, creating containers
      'MODIFIED new', // running
    ]);
    expect(seen[3]).toMatchObject({ phase: 'Pending', node: undefined });

    // An ordinal at or above replicas (left over from a scale-down) is not
    // re-created. Positive control: lab-0, removed after it, is re-created, and
    // the controller handles removals in order.
    api.apply('pods', emulatorPod('lab', 1));
    const again = new Promise<void>(resolve =>
      api.onChange((type, resource, o) => {
        if (
          resource === 'pods' &&
          type === 'ADDED' &&
          o.metadata.name === 'lab-0'
        )
          resolve();
      }),
    );
    api.remove('pods', 'loco', 'lab-1');
    api.remove('pods', 'loco', 'lab-0');
    await again;
    expect(api.get('pods', 'loco', 'lab-1')).toBeUndefined();
  });
});

describe('fake API server: port-forward', () => {
  async function forward(api: FakeKubernetesApiServer, pod: string) {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: api.url, skipTLSVerify: true }],
      users: [{ name: 'u' }],
      contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
      currentContext: 'c',
    });
    const socket: any = await new PortForward(kc, true).portForward(
      'loco',
      pod,
      [1],
      new PassThrough(),
      new PassThrough(),
      new PassThrough(),
    );
    socket.close();
  }

  it('is refused for a pod without a node (400) and for one that is not running (500), not for a running one', async () => {
    const api = await startApi();
    api.apply('pods', emulatorPod('lab', 0, { unscheduled: true }));
    api.apply('pods', emulatorPod('lab', 1, { phase: 'Pending' }));
    api.apply('pods', emulatorPod('lab', 2, { phase: 'Succeeded' }));
    api.apply('pods', emulatorPod('lab', 3));
    // client-node rejects with the WebSocket's ErrorEvent (not an Error).
    const refused = (code: number) => ({
      message: `Unexpected server response: ${code}`,
    });
    await expect(forward(api, 'lab-0')).rejects.toMatchObject(refused(400));
    await expect(forward(api, 'lab-1')).rejects.toMatchObject(refused(500));
    await expect(forward(api, 'lab-2')).rejects.toMatchObject(refused(500));
    await expect(forward(api, 'lab-9')).rejects.toMatchObject(refused(404));
    await expect(forward(api, 'lab-3')).resolves.toBeUndefined();
  });
});

describe('test objects from the chart', () => {
  it('are the chart-rendered StatefulSet, its pods and Secret, and match the discovery selector', () => {
    const set = emulatorStatefulSet('lab', {
      replicas: 2,
      owner: 'group:default/team',
    });
    const pod = emulatorPod('lab', 1, { owner: 'group:default/team' });
    const secret = agentSecret('lab', 't0k3n', { owner: 'group:default/team' });
    const rendered = renderEnvironment('lab', {
      instances: 2,
      owner: 'group:default/team',
    });
    const chartSet = rendered.find(o => o.kind === 'StatefulSet');
    expect(set.metadata.labels).toEqual(chartSet.metadata.labels);
    expect(set.spec.template).toEqual(chartSet.spec.template);
    expect(set.metadata.labels[LOCO_LABELS.owner]).toBe('group_default_team');
    // The pod carries the template's labels plus what the controller adds.
    expect(pod.metadata.labels).toMatchObject({
      ...set.spec.template.metadata.labels,
      'apps.kubernetes.io/pod-index': '1',
      'statefulset.kubernetes.io/pod-name': 'lab-1',
    });
    const matches = parseLabelSelector(EMULATOR_SELECTOR);
    expect(matches(pod.metadata.labels)).toBe(true);
    expect(matches(set.metadata.labels)).toBe(true);
    const selects = Object.entries(set.spec.selector.matchLabels).every(
      ([k, v]) => pod.metadata.labels[k] === v,
    );
    expect(selects).toBe(true);
    expect(pod.metadata.annotations['loco.dev/agent-secret']).toBe(
      secret.metadata.name,
    );
    expect(Buffer.from(secret.data.token, 'base64').toString()).toBe('t0k3n');
    // As HelmProvisioner installs it: release = environment, default names.
    const released = emulatorPod('lab', 0, { release: true });
    expect(released.metadata.name).toBe('lab-lego-loco-cluster-0');
    expect(released.metadata.labels[LOCO_LABELS.environment]).toBe('lab');
  });
});
