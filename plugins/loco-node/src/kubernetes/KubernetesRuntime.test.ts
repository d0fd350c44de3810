import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { mockServices } from '@backstage/backend-test-utils';
import type { RuntimeListing } from '../runtime/EmulatorRuntime';
import { KubernetesRuntime } from './KubernetesRuntime';
import {
  emulatorPod,
  emulatorStatefulSet,
} from './__testUtils__/emulatorObjects';
import { FakeEmulatorHealthServer } from './__testUtils__/FakeEmulatorHealthServer';
import {
  fakeCluster as cluster,
  kubernetesRuntimeFixture,
  waitForListing,
} from './__testUtils__/kubernetesRuntimeFixture';

// Waits are for events, never for time; this only bounds a hung test on a
// busy machine.
jest.setTimeout(30_000);

const { startApi, startRuntime, onCleanUp } = kubernetesRuntimeFixture();

const env = (l: RuntimeListing, name: string) =>
  l.items.find(e => e.name === name);

describe('KubernetesRuntime discovery', () => {
  it('sees an environment being added, scaled and deleted through the watch', async () => {
    const api = await startApi();
    const runtime = startRuntime([cluster('alpha', api)]);
    await api.waitForWatches(2);

    api.apply('statefulsets', emulatorStatefulSet('lab', { replicas: 2 }));
    api.apply('pods', emulatorPod('lab', 0));
    api.apply('pods', emulatorPod('lab', 1));
    let listing = await waitForListing(
      runtime,
      l =>
        env(l, 'lab')?.instances.length === 2 &&
        env(l, 'lab')!.instances.every(
          i => !i.health.reasons.includes('pod not created yet'),
        ),
    );
    const lab = env(listing, 'lab')!;
    expect(lab).toMatchObject({
      runtime: 'kubernetes',
      location: 'alpha',
      namespace: 'loco',
      owner: 'user:default/guest',
      desiredInstances: 2,
      stale: false,
    });
    expect(lab.instances.map(i => i.name)).toEqual(['lab-0', 'lab-1']);

    api.apply('statefulsets', emulatorStatefulSet('lab', { replicas: 3 }));
    listing = await waitForListing(
      runtime,
      l => env(l, 'lab')?.desiredInstances === 3,
    );
    // Desired but not created yet is shown as starting, not hidden.
    expect(env(listing, 'lab')!.instances[2]).toMatchObject({
      index: 2,
      state: 'starting',
    });
    api.apply('pods', emulatorPod('lab', 2, { phase: 'Pending' }));
    listing = await waitForListing(
      runtime,
      l =>
        env(l, 'lab')?.instances[2]?.health.reasons[0] ===
        'pod Pending (ContainerCreating)',
    );

    for (const i of [0, 1, 2]) api.remove('pods', 'loco', `lab-${i}`);
    api.remove('statefulsets', 'loco', 'lab');
    listing = await waitForListing(runtime, l => !env(l, 'lab'));
    expect(listing.errors).toEqual([]);
    // Discovery used one list per collection, then watches only.
    expect(api.requests.filter(r => !r.watch)).toHaveLength(2);
  });

  it('ignores pods outside the label contract and namespaces it does not watch', async () => {
    const api = await startApi();
    const runtime = startRuntime([cluster('alpha', api)]);
    await api.waitForWatches(2);
    const stranger = emulatorPod('other', 0);
    stranger.metadata.labels['app.kubernetes.io/component'] = 'lan-hub';
    api.apply('pods', stranger);
    api.apply('pods', emulatorPod('elsewhere', 0, { namespace: 'default' }));
    api.apply('pods', emulatorPod('lab', 0));
    const listing = await waitForListing(runtime, l => Boolean(env(l, 'lab')));
    expect(listing.items.map(e => e.name)).toEqual(['lab']);
  });

  it('relists after 410 Gone and catches up with what it missed', async () => {
    const api = await startApi();
    api.apply('statefulsets', emulatorStatefulSet('lab', { replicas: 2 }));
    api.apply('pods', emulatorPod('lab', 0));
    api.apply('pods', emulatorPod('lab', 1));
    const runtime = startRuntime([cluster('alpha', api)]);
    await waitForListing(
      runtime,
      l =>
        env(l, 'lab')?.instances.filter(
          i => i.health.reasons[0] !== 'pod not created yet',
        ).length === 2,
    );
    await api.waitForWatches(2);
    const listsBefore = api.requests.filter(
      r => !r.watch && r.path.endsWith('/pods'),
    ).length;

    // While the watch is down, history is compacted and a pod goes away: the
    // informer cannot resume from its resourceVersion and must relist.
    api.dropWatches();
    api.compact();
    api.remove('pods', 'loco', 'lab-1');

    const listing = await waitForListing(
      runtime,
      l =>
        env(l, 'lab')?.instances[1]?.health.reasons[0] ===
        'pod not created yet',
    );
    expect(env(listing, 'lab')!.instances[0].name).toBe('lab-0');
    expect(
      api.requests.filter(r => !r.watch && r.path.endsWith('/pods')).length,
    ).toBe(listsBefore + 1);
  });

  it('serves the last known state marked stale while the API server is down, and recovers', async () => {
    const api = await startApi();
    api.apply('statefulsets', emulatorStatefulSet('lab', { replicas: 1 }));
    api.apply('pods', emulatorPod('lab', 0));
    const runtime = startRuntime([cluster('alpha', api)]);
    const before = await waitForListing(
      runtime,
      l => env(l, 'lab')?.stale === false && l.errors.length === 0,
    );
    expect(env(before, 'lab')!.lastSyncAt).not.toBeNull();

    await api.stop();
    const during = await waitForListing(
      runtime,
      l => env(l, 'lab')?.stale === true,
    );
    expect(env(during, 'lab')!.instances).toHaveLength(1);
    expect(env(during, 'lab')!.lastSyncAt).toEqual(expect.any(String));
    expect(during.errors).toEqual([
      {
        location: 'alpha',
        message: expect.stringContaining('serving last known state'),
      },
    ]);

    await api.start();
    api.apply('pods', emulatorPod('lab', 0, { restartCount: 1 }));
    const after = await waitForListing(
      runtime,
      l =>
        env(l, 'lab')?.stale === false &&
        env(l, 'lab')!.instances[0].health.facts.restarts === 1,
    );
    expect(after.errors).toEqual([]);
  });

  it('reports a broken cluster in errors without hiding the healthy one', async () => {
    const good = await startApi();
    const bad = await startApi({ token: 'another-token' }); // our token is refused: 401
    good.apply('pods', emulatorPod('lab', 0));
    bad.apply('pods', emulatorPod('hidden', 0));
    const runtime = startRuntime([cluster('good', good), cluster('bad', bad)]);
    const listing = await waitForListing(
      runtime,
      l =>
        Boolean(env(l, 'lab')) &&
        !l.errors.some(e => e.location === 'good') &&
        l.errors.some(e => e.location === 'bad' && e.message.includes('401')),
    );
    expect(listing.items.map(e => `${e.location}/${e.name}`)).toEqual([
      'good/lab',
    ]);
    expect(listing.errors.map(e => e.location)).toEqual(['bad']);
  });
});

describe('KubernetesRuntime health and VNC', () => {
  it('folds each emulator health endpoint and the pod status into instance states', async () => {
    const healthy = new FakeEmulatorHealthServer('127.0.0.2');
    const port = await healthy.start();
    const crashed = new FakeEmulatorHealthServer('127.0.0.3');
    await crashed.start(port);
    crashed.facts = { ...crashed.facts, qmpStatus: 'internal-error' };
    const silent = new FakeEmulatorHealthServer('127.0.0.4');
    await silent.start(port);
    silent.mode = 'hang';
    for (const s of [healthy, crashed, silent]) onCleanUp(() => s.stop());

    const api = await startApi();
    api.apply('statefulsets', emulatorStatefulSet('lab', { replicas: 4 }));
    api.apply('pods', emulatorPod('lab', 0, { podIP: '127.0.0.2' }));
    api.apply('pods', emulatorPod('lab', 1, { podIP: '127.0.0.3' }));
    api.apply('pods', emulatorPod('lab', 2, { podIP: '127.0.0.4' }));
    api.apply(
      'pods',
      emulatorPod('lab', 3, {
        podIP: '127.0.0.2',
        ready: false,
        restartCount: 2,
      }),
    );
    const runtime = startRuntime([cluster('alpha', api)], {
      ports: { vnc: 1, health: port },
    });

    const listing = await waitForListing(runtime, l => {
      const i = env(l, 'lab')?.instances ?? [];
      return (
        i.length === 4 &&
        i.every(
          x =>
            x.health.facts.qmpStatus !== null ||
            x.health.reasons.some(r => r.startsWith('health endpoint')),
        )
      );
    });
    const [i0, i1, i2, i3] = env(listing, 'lab')!.instances;
    expect(i0.state).toBe('healthy');
    expect(i0.health.facts).toMatchObject({
      accelerator: 'tcg',
      bootMode: 'snapshot',
      vncReachable: true,
    });
    expect(i1).toMatchObject({
      state: 'unhealthy',
      health: { reasons: ['QEMU reports internal-error'] },
    });
    expect(i2.health.reasons[0]).toMatch(
      /^health endpoint: no answer within 1500 ms/,
    );
    expect(i3.state).toBe('degraded');
    expect(i3.health.reasons[0]).toBe('pod is not Ready');
    expect(i3.health.facts.restarts).toBe(2);
    expect(env(listing, 'lab')!.summary).toMatchObject({
      state: 'degraded',
      healthy: 1,
      total: 4,
    });
  });

  it('opens VNC straight to the pod IP in direct mode', async () => {
    const vnc = net.createServer(socket => socket.end('RFB 003.008\n'));
    await new Promise<void>(resolve =>
      vnc.listen(0, '127.0.0.5', () => resolve()),
    );
    onCleanUp(() => new Promise<void>(resolve => vnc.close(() => resolve())));
    const port = (vnc.address() as net.AddressInfo).port;
    const api = await startApi();
    api.apply('pods', emulatorPod('lab', 0, { podIP: '127.0.0.5' }));
    const runtime = startRuntime([cluster('alpha', api)], {
      ports: { vnc: port, health: 1 },
    });
    await waitForListing(runtime, l => Boolean(env(l, 'lab')));

    const stream = await runtime.openVnc('lab', 0);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('RFB 003.008\n');
    await expect(runtime.openVnc('lab', 7)).rejects.toThrow(
      'no running instance 7',
    );
  });

  it('reaches VNC and health through the API server port-forward when configured', async () => {
    // An echoing "VNC server" that greets first, on a pod IP only the fake API server dials.
    const vnc = net.createServer(socket => {
      socket.write('RFB 003.008\n');
      socket.pipe(socket);
    });
    await new Promise<void>(resolve =>
      vnc.listen(0, '127.0.0.6', () => resolve()),
    );
    onCleanUp(() => new Promise<void>(resolve => vnc.close(() => resolve())));
    const vncPort = (vnc.address() as net.AddressInfo).port;
    const health = new FakeEmulatorHealthServer('127.0.0.6');
    const healthPort = await health.start();
    onCleanUp(() => health.stop());

    const api = await startApi();
    api.apply('pods', emulatorPod('lab', 0, { podIP: '127.0.0.6' }));
    const runtime = startRuntime(
      [cluster('alpha', api, { emulatorAccess: 'portForward' })],
      { ports: { vnc: vncPort, health: healthPort } },
    );
    const listing = await waitForListing(
      runtime,
      l => env(l, 'lab')?.instances[0]?.state === 'healthy',
    );
    expect(env(listing, 'lab')!.instances[0].health.facts.qmpStatus).toBe(
      'running',
    );

    const stream = await runtime.openVnc('lab', 0);
    const received: Buffer[] = [];
    const sawEcho = new Promise<void>(resolve =>
      stream.on('data', (chunk: Buffer) => {
        received.push(chunk);
        if (Buffer.concat(received).toString().endsWith('ping')) resolve();
      }),
    );
    stream.write('ping');
    await sawEcho;
    expect(Buffer.concat(received).toString()).toBe('RFB 003.008\nping');
    stream.destroy();
    const forwards = api.requests.filter(r =>
      r.path.endsWith('/pods/lab-0/portforward'),
    );
    expect(forwards.length).toBeGreaterThanOrEqual(2); // health probes and the VNC stream
  });

  it('changes an environment where discovery sees its release, through Helm', async () => {
    const api = await startApi();
    api.apply(
      'statefulsets',
      emulatorStatefulSet('lab', { replicas: 1, release: true }),
    );
    // A helm that cannot reach the cluster (helm's exit 1 and "Error:"
    // line), recording how it was called: nothing may change on a guess.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loco-helm-argv-'));
    const helm = path.join(dir, 'helm');
    fs.writeFileSync(
      helm,
      `#!/bin/sh\nprintf '%s\\n' "$@" >"${dir}/argv"\necho "Error: Kubernetes cluster unreachable" >&2\nexit 1\n`,
      { mode: 0o755 },
    );
    const clusters = [cluster('alpha', api)];
    const runtime = new KubernetesRuntime({
      clusters,
      logger: mockServices.logger.mock(),
      provisioning: {
        helm: {
          binary: helm,
          chart: '/charts/lego-loco-cluster',
          timeout: '5m',
          defaultNamespace: 'elsewhere',
          snapshotTags: [],
          snapshotRegistry: '',
        },
        clusters: [{ ...clusters[0], namespaces: [] }],
        localSnapshotTags: [],
        localEnabled: false,
      },
    });
    runtime.start();
    onCleanUp(() => runtime.stop());
    await waitForListing(runtime, l => l.items.length === 1);
    try {
      await expect(runtime.destroyEnvironment('lab')).rejects.toThrow(
        'Kubernetes cluster unreachable',
      );
      // The release's namespace from discovery, not the default one.
      const argv = fs.readFileSync(path.join(dir, 'argv'), 'utf8').split('\n');
      expect(argv.slice(0, 6)).toEqual([
        'history',
        'lab',
        '--namespace',
        'loco',
        '--output',
        'json',
      ]);
      expect(argv).toContain(api.url);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to provision without provisioning settings', async () => {
    const api = await startApi();
    const runtime = startRuntime([cluster('alpha', api)]);
    await expect(
      runtime.createEnvironment({
        name: 'x',
        instances: 1,
        storageMode: 'ephemeral',
      }),
    ).rejects.toThrow(/without provisioning settings/);
  });
});
