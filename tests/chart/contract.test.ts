// What the rest of Loco Portal relies on: the discovery labels, the emulator's
// LOCO_* environment, storage wiring per mode, the LAN wiring and an
// unprivileged pod spec.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  PRESETS,
  byKind,
  envOf,
  one,
  podSpecs,
  presetFile,
  render,
} from './helpers.ts';
import {
  AGENT_PORT,
  AGENT_SECRET_ANNOTATION,
  AGENT_SECRET_KEY,
  AGENT_TOKEN_FILE,
  agentSecretName,
} from '../../plugins/loco-common/src/agent.ts';

const CONTRACT = {
  'app.kubernetes.io/part-of': 'lego-loco-cluster',
  'app.kubernetes.io/component': 'emulator',
  'app.kubernetes.io/instance': 'loco-demo',
  'loco.dev/environment': 'loco-demo',
  'loco.dev/owner': 'user_default_guest',
};

function emulatorContainer(objects: ReturnType<typeof render>) {
  const sts = one(objects, 'StatefulSet');
  return sts.spec.template.spec.containers.find(
    (c: any) => c.name === 'emulator',
  );
}

test('StatefulSet and its pods carry the discovery labels', () => {
  for (const preset of PRESETS) {
    const sts = one(render([], { files: [presetFile(preset)] }), 'StatefulSet');
    for (const [k, v] of Object.entries(CONTRACT)) {
      assert.equal(
        sts.metadata.labels?.[k],
        v,
        `${preset}: StatefulSet label ${k}`,
      );
      assert.equal(
        sts.spec.template.metadata.labels?.[k],
        v,
        `${preset}: pod label ${k}`,
      );
    }
    // The selector must select the pods and may only use stable labels.
    for (const [k, v] of Object.entries(sts.spec.selector.matchLabels)) {
      assert.equal(sts.spec.template.metadata.labels[k], v);
    }
    assert.ok(
      !('loco.dev/owner' in sts.spec.selector.matchLabels),
      'owner is not part of the immutable selector',
    );
  }
});

test('the owner label is sanitized; the annotation keeps the ref', () => {
  const cases: [string, string][] = [
    ['user:default/guest', 'user_default_guest'],
    ['group:team-a/loco.admins', 'group_team-a_loco.admins'],
    ['user:default/' + 'x'.repeat(80), 'user_default_' + 'x'.repeat(50)],
  ];
  for (const [owner, label] of cases) {
    const sts = one(render({ environment: { owner } }), 'StatefulSet');
    const meta = sts.spec.template.metadata;
    assert.equal(meta.labels['loco.dev/owner'], label);
    assert.ok(label.length <= 63);
    assert.equal(meta.annotations['loco.dev/owner-ref'], owner);
  }
});

test('only emulator pods are selected by the discovery selector', () => {
  const objects = render({ serviceMonitor: { enabled: true } });
  const selected = podSpecs(objects).filter(p =>
    Object.entries(CONTRACT).every(([k, v]) => p.metadata.labels?.[k] === v),
  );
  assert.deepEqual(
    selected.map(p => p.owner),
    ['StatefulSet/loco-demo-lego-loco-cluster'],
  );
});

test('StatefulSet: one pod per instance, parallel, headless Service with vnc/health', () => {
  for (const instances of [1, 9, 32]) {
    const objects = render({ instances });
    const sts = one(objects, 'StatefulSet');
    assert.equal(sts.spec.replicas, instances);
    assert.equal(sts.spec.podManagementPolicy, 'Parallel');
    const svc = one(objects, 'Service', sts.spec.serviceName);
    assert.equal(svc.spec.clusterIP, 'None');
    assert.deepEqual(
      svc.spec.ports.map((p: any) => [p.name, p.port]),
      [
        ['vnc', 5901],
        ['health', 8080],
      ],
    );
    assert.deepEqual(svc.spec.selector, sts.spec.selector.matchLabels);
  }
});

test('the image is told to listen where the container ports and probes point', () => {
  const container = emulatorContainer(render());
  const env = envOf(container);
  const ports = Object.fromEntries(
    container.ports.map((p: any) => [p.name, p.containerPort]),
  );
  // QEMU's VNC display N listens on TCP 5900+N.
  const display = Number(/^0\.0\.0\.0:(\d+)$/.exec(env.LOCO_VNC)![1]);
  assert.equal(5900 + display, ports.vnc);
  assert.equal(env.LOCO_AGENT_LISTEN, `0.0.0.0:${ports.health}`);
  assert.equal(ports.health, AGENT_PORT);
  for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
    assert.equal(container[probe].httpGet.port, 'health', probe);
  }
  assert.equal(container.readinessProbe.httpGet.path, '/ready');
  assert.equal(container.livenessProbe.httpGet.path, '/health');
});

test("the agent's token: one Secret per release, named on the pods, mounted where the agent reads it", () => {
  const objects = render();
  const sts = one(objects, 'StatefulSet');
  const name = agentSecretName(sts.metadata.name);
  const secret = one(objects, 'Secret', name);
  const token = Buffer.from(secret.data[AGENT_SECRET_KEY], 'base64').toString();
  assert.match(token, /^[A-Za-z0-9]{48}$/, 'random, long');
  assert.notEqual(
    Buffer.from(
      one(render(), 'Secret', name).data[AGENT_SECRET_KEY],
      'base64',
    ).toString(),
    token,
    'a fresh token per install (upgrades keep the live one through lookup)',
  );
  assert.equal(
    sts.spec.template.metadata.annotations[AGENT_SECRET_ANNOTATION],
    name,
  );
  const container = emulatorContainer(objects);
  assert.equal(envOf(container).LOCO_AGENT_TOKEN_FILE, AGENT_TOKEN_FILE);
  const mount = container.volumeMounts.find(
    (m: any) => m.name === 'agent-token',
  );
  const volume = sts.spec.template.spec.volumes.find(
    (v: any) => v.name === 'agent-token',
  );
  assert.equal(
    `${mount.mountPath}/${volume.secret.items[0].path}`,
    AGENT_TOKEN_FILE,
  );
  assert.equal(mount.readOnly, true);
  assert.equal(mount.subPath, undefined, 'a replaced token reaches the pod');
  assert.equal(volume.secret.secretName, name);
  assert.equal(volume.secret.items[0].key, AGENT_SECRET_KEY);
  // Readable by the emulator's group (fsGroup), by nobody else.
  assert.equal(volume.secret.defaultMode, 0o440);
  assert.equal(sts.spec.template.spec.securityContext.fsGroup, 1000);
});

test('stop: save-on-stop is passed on, and the stop sequence fits the grace period', () => {
  const env = envOf(emulatorContainer(render()));
  assert.equal(env.LOCO_SAVE_ON_STOP, 'false');
  assert.equal(
    env.LOCO_STOP_TIMEOUT,
    '18',
    '30 s grace - 12 s for quit/SIGTERM/SIGKILL',
  );
  const custom = envOf(
    emulatorContainer(
      render({
        emulator: { saveOnStop: true },
        terminationGracePeriodSeconds: 5,
      }),
    ),
  );
  assert.equal(custom.LOCO_SAVE_ON_STOP, 'true');
  assert.equal(custom.LOCO_STOP_TIMEOUT, '1');
});

test('the emulator gets the registry credentials too (it pulls when the init container could not)', () => {
  const container = emulatorContainer(
    render({
      snapshot: {
        tag: 'win98-base',
        registry: 'ghcr.io/org/s',
        registryConfigSecret: 'regcred',
      },
    }),
  );
  assert.equal(
    envOf(container).LOCO_REGISTRY_CONFIG,
    '/etc/loco/registry/config.json',
  );
  assert.ok(
    container.volumeMounts.some(
      (m: any) => m.mountPath === '/etc/loco/registry',
    ),
  );
  assert.equal(
    envOf(emulatorContainer(render())).LOCO_REGISTRY_CONFIG,
    undefined,
  );
});

test('push credentials for publishing are mounted in the emulator only, apart from the pull ones', () => {
  const objects = render({
    snapshot: {
      tag: 'games',
      registry: 'ghcr.io/org/s',
      registryConfigSecret: 'regcred',
      publishConfigSecret: 'pushcred',
    },
  });
  const container = emulatorContainer(objects);
  assert.equal(
    envOf(container).LOCO_PUBLISH_REGISTRY_CONFIG,
    '/etc/loco/publish-registry/config.json',
  );
  assert.equal(
    envOf(container).LOCO_REGISTRY_CONFIG,
    '/etc/loco/registry/config.json',
  );
  const mount = container.volumeMounts.find(
    (m: any) => m.mountPath === '/etc/loco/publish-registry',
  );
  assert.equal(mount.readOnly, true);
  const sts = objects.find((o: any) => o.kind === 'StatefulSet');
  const volume = sts.spec.template.spec.volumes.find(
    (v: any) => v.name === mount.name,
  );
  assert.deepEqual(volume.secret, {
    secretName: 'pushcred',
    items: [{ key: '.dockerconfigjson', path: 'config.json' }],
  });
  for (const init of sts.spec.template.spec.initContainers) {
    assert.equal(envOf(init).LOCO_PUBLISH_REGISTRY_CONFIG, undefined);
  }
  const plain = emulatorContainer(render());
  assert.equal(envOf(plain).LOCO_PUBLISH_REGISTRY_CONFIG, undefined);
  assert.ok(
    !plain.volumeMounts.some(
      (m: any) => m.mountPath === '/etc/loco/publish-registry',
    ),
  );
});

test('the snapshot fallback reaches the emulator agent, which pulls (the init container needs no credentials)', () => {
  assert.equal(
    envOf(emulatorContainer(render())).LOCO_SNAPSHOT_FALLBACK,
    'builtin',
  );
  const objects = render({
    snapshot: {
      tag: 'games',
      registry: 'ghcr.io/org/s',
      registryConfigSecret: 'regcred',
      fallback: 'fail',
    },
  });
  assert.equal(
    envOf(emulatorContainer(objects)).LOCO_SNAPSHOT_FALLBACK,
    'fail',
  );
  const sts = objects.find((o: any) => o.kind === 'StatefulSet');
  const init = sts.spec.template.spec.initContainers.find(
    (c: any) => c.name === 'prepare-disk',
  );
  assert.equal(envOf(init).LOCO_REGISTRY_CONFIG, undefined);
  assert.ok(
    !init.volumeMounts.some((m: any) => m.mountPath === '/etc/loco/registry'),
  );
});

test('hybrid: the shared folder and how the guest sees it', () => {
  const rw = envOf(
    emulatorContainer(render([], { files: [presetFile('hybrid')] })),
  );
  assert.equal(rw.LOCO_SHARED_DIR, '/shared');
  assert.equal(rw.LOCO_SHARED_DIR_MODE, 'rw');
  const ro = envOf(
    emulatorContainer(
      render(
        { storage: { shared: { guestAccess: 'ro' } } },
        { files: [presetFile('hybrid')] },
      ),
    ),
  );
  assert.equal(ro.LOCO_SHARED_DIR_MODE, 'ro');
  const persistent = envOf(emulatorContainer(render()));
  assert.equal(persistent.LOCO_SHARED_DIR, undefined);
  assert.equal(persistent.LOCO_SHARED_DIR_MODE, undefined);
});

test('emulator environment carries the configuration', () => {
  const objects = render({
    instances: 5,
    emulator: {
      memoryMB: 256,
      vga: 'cirrus',
      sound: 'sb16',
      kvm: true,
      extraArgs: ['-rtc', 'base=localtime'],
    },
    snapshot: { tag: 'win98-base', registry: 'ghcr.io/org/loco-snapshots' },
  });
  const env = envOf(emulatorContainer(objects));
  assert.equal(env.LOCO_ENV, 'loco-demo');
  assert.deepEqual(env.LOCO_INSTANCE_INDEX, {
    fieldRef: { fieldPath: "metadata.labels['apps.kubernetes.io/pod-index']" },
  });
  // The LAN's size, not the instance count (a scale must not change the pod template).
  assert.equal(env.LOCO_INSTANCE_COUNT, '32');
  assert.equal(env.LOCO_DISK, '/var/lib/loco/disk.qcow2');
  assert.equal(env.LOCO_RUN_DIR, '/run/loco');
  assert.equal(env.LOCO_MEMORY_MB, '256');
  assert.equal(env.LOCO_VGA, 'cirrus');
  assert.equal(env.LOCO_SOUND, 'sb16');
  assert.equal(env.LOCO_ACCEL, 'kvm');
  assert.equal(env.LOCO_SNAPSHOT_TAG, 'win98-base');
  assert.equal(env.LOCO_SNAPSHOT_REGISTRY, 'ghcr.io/org/loco-snapshots');
  assert.equal(env.LOCO_EXTRA_ARGS, '-rtc\nbase=localtime');
  assert.match(
    env.LOCO_NETDEV,
    /^socket,id=lan0,connect=loco-demo-lego-loco-cluster-lan-\$\(LOCO_INSTANCE_INDEX\)\.loco\.svc:5555$/,
  );
  // $(VAR) only expands variables defined earlier in the list.
  const names = emulatorContainer(objects).env.map((e: any) => e.name);
  assert.ok(
    names.indexOf('LOCO_INSTANCE_INDEX') < names.indexOf('LOCO_NETDEV'),
  );
  // KVM comes from a device plugin resource, not from privileges.
  assert.equal(
    emulatorContainer(objects).resources.limits['devices.kubevirt.io/kvm'],
    '1',
  );
  assert.equal(envOf(emulatorContainer(render())).LOCO_ACCEL, 'tcg');
});

test('probes: startup and liveness on /health, readiness on /ready', () => {
  const c = emulatorContainer(render());
  assert.equal(c.startupProbe.httpGet.path, '/health');
  assert.equal(c.readinessProbe.httpGet.path, '/ready');
  assert.equal(c.livenessProbe.httpGet.path, '/health');
  for (const p of [c.startupProbe, c.readinessProbe, c.livenessProbe])
    assert.equal(p.httpGet.port, 'health');
  // A cold boot of many instances on few cores takes minutes.
  assert.ok(
    c.startupProbe.periodSeconds * c.startupProbe.failureThreshold >= 300,
  );
});

function dataVolume(objects: ReturnType<typeof render>) {
  const sts = one(objects, 'StatefulSet');
  return sts.spec.template.spec.volumes.find((v: any) => v.name === 'data');
}

test('storage wiring per mode', () => {
  for (const mode of ['persistent', 'hybrid', 'ephemeral', 'hostpath']) {
    const objects = render({ storage: { mode } });
    const sts = one(objects, 'StatefulSet');
    const claims = sts.spec.volumeClaimTemplates ?? [];
    const sharedClaims = byKind(objects, 'PersistentVolumeClaim');
    const vol = dataVolume(objects);
    const mounts = emulatorContainer(objects).volumeMounts;
    const shared = mounts.find((m: any) => m.mountPath === '/shared');
    const claimed = mode === 'persistent' || mode === 'hybrid';

    assert.equal(
      claims.length,
      claimed ? 1 : 0,
      `${mode}: volumeClaimTemplates`,
    );
    if (claimed) {
      assert.deepEqual(claims[0].spec.accessModes, ['ReadWriteOnce']);
      assert.equal(claims[0].spec.resources.requests.storage, '2Gi');
      assert.equal(
        vol,
        undefined,
        `${mode}: data comes from the claim template`,
      );
    }
    assert.equal(
      vol?.emptyDir !== undefined,
      mode === 'ephemeral',
      `${mode}: emptyDir`,
    );
    assert.equal(
      vol?.hostPath !== undefined,
      mode === 'hostpath',
      `${mode}: hostPath`,
    );
    assert.equal(
      sharedClaims.length,
      mode === 'hybrid' ? 1 : 0,
      `${mode}: shared claim`,
    );
    assert.equal(
      shared !== undefined,
      mode === 'hybrid',
      `${mode}: /shared mount`,
    );
    if (mode === 'hybrid')
      assert.deepEqual(sharedClaims[0].spec.accessModes, ['ReadWriteMany']);
    if (mode === 'hostpath') {
      assert.deepEqual(vol.hostPath, {
        path: '/var/lib/loco/loco-demo',
        type: 'DirectoryOrCreate',
      });
      const m = mounts.find((x: any) => x.name === 'data');
      assert.equal(
        m.subPathExpr,
        '$(LOCO_POD_NAME)',
        'per-instance subdirectory <path>/<env>/<pod-name>',
      );
    }
  }
});

test('hybrid: an existing shared claim is used, not created', () => {
  const objects = render({
    storage: { mode: 'hybrid', shared: { existingClaim: 'loco-art' } },
  });
  assert.equal(byKind(objects, 'PersistentVolumeClaim').length, 0);
  const sts = one(objects, 'StatefulSet');
  const shared = sts.spec.template.spec.volumes.find(
    (v: any) => v.name === 'shared',
  );
  assert.equal(shared.persistentVolumeClaim.claimName, 'loco-art');
});

test('storage classes: "" = default, "-" = none, name = that class', () => {
  const cls = (storageClassName: string) =>
    one(render({ storage: { storageClassName } }), 'StatefulSet').spec
      .volumeClaimTemplates[0].spec;
  assert.ok(!('storageClassName' in cls('')));
  assert.equal(cls('-').storageClassName, '');
  assert.equal(cls('fast-ssd').storageClassName, 'fast-ssd');
});

test('the init container gets the disk order settings and never a blocking script', () => {
  for (const [mode, expected] of [
    ['persistent', 'copy'],
    ['ephemeral', 'overlay'],
  ]) {
    const sts = one(render({ storage: { mode } }), 'StatefulSet');
    const init = sts.spec.template.spec.initContainers.find(
      (c: any) => c.name === 'prepare-disk',
    );
    assert.ok(init, 'prepare-disk init container');
    assert.deepEqual(init.command, [
      '/bin/sh',
      '/opt/loco-chart/prepare-disk.sh',
    ]);
    const env = envOf(init);
    assert.equal(env.LOCO_BUILTIN_DISK_MODE, expected);
    assert.equal(env.LOCO_DISK, '/var/lib/loco/disk.qcow2');
    // The main container must see the same disk and snapshot settings.
    const main = envOf(sts.spec.template.spec.containers[0]);
    for (const k of [
      'LOCO_DISK',
      'LOCO_SNAPSHOT_TAG',
      'LOCO_SNAPSHOT_REGISTRY',
    ])
      assert.deepEqual(env[k], main[k]);
  }
});

test('no container is privileged and all run as non-root', () => {
  const check = (
    objects: ReturnType<typeof render>,
    label: string,
    allowed: string[] = [],
  ) => {
    for (const pod of podSpecs(objects)) {
      const podSc = pod.spec.securityContext ?? {};
      for (const c of [
        ...(pod.spec.initContainers ?? []),
        ...pod.spec.containers,
      ]) {
        const where = `${label} ${pod.owner} ${c.name}`;
        const sc = c.securityContext ?? {};
        assert.notEqual(sc.privileged, true, `${where}: privileged`);
        assert.equal(
          sc.allowPrivilegeEscalation,
          false,
          `${where}: allowPrivilegeEscalation`,
        );
        assert.ok(
          sc.capabilities?.drop?.includes('ALL'),
          `${where}: drops ALL capabilities`,
        );
        assert.equal(
          (sc.seccompProfile ?? podSc.seccompProfile)?.type,
          'RuntimeDefault',
          `${where}: seccomp`,
        );
        if (allowed.includes(c.name)) continue;
        assert.equal(
          sc.runAsNonRoot ?? podSc.runAsNonRoot,
          true,
          `${where}: runAsNonRoot`,
        );
        assert.notEqual(
          sc.runAsUser ?? podSc.runAsUser,
          0,
          `${where}: runAsUser 0`,
        );
        assert.equal(
          sc.readOnlyRootFilesystem,
          true,
          `${where}: readOnlyRootFilesystem`,
        );
      }
      assert.ok(
        !pod.spec.hostNetwork && !pod.spec.hostPID && !pod.spec.hostIPC,
        `${pod.owner}: host namespaces`,
      );
    }
  };
  for (const mode of ['persistent', 'hybrid', 'ephemeral', 'hostpath']) {
    check(render({ storage: { mode }, emulator: { kvm: true } }), mode);
  }
  for (const preset of ['persistent', 'hybrid', 'ephemeral'])
    check(render([], { files: [presetFile(preset)] }), preset);
  // The one exception, opt-in and only in hostpath mode: a root init container
  // that chowns the node directory (CHOWN capability only, nothing else).
  const hostpath = render([], { files: [presetFile('hostpath')] });
  check(hostpath, 'hostpath preset', ['volume-permissions']);
  const init = one(hostpath, 'StatefulSet').spec.template.spec
    .initContainers[0];
  assert.equal(init.name, 'volume-permissions');
  assert.deepEqual(init.securityContext.capabilities.add, ['CHOWN']);
  assert.equal(
    byKind(render({ volumePermissions: { enabled: true } }), 'StatefulSet')[0]
      .spec.template.spec.initContainers.length,
    1,
    'volumePermissions does nothing outside hostpath mode',
  );
});

test('LAN hub: one listener per possible instance, one Service per instance', () => {
  const objects = render({ instances: 3 });
  const hub = one(objects, 'Deployment');
  assert.equal(hub.spec.replicas, 1);
  assert.equal(hub.spec.strategy.type, 'Recreate');
  const c = hub.spec.template.spec.containers[0];
  // Listeners for the LAN's full size (scaling.test.ts: a scale leaves the hub alone).
  const listeners = c.args.filter((a: string) => a.startsWith('socket,'));
  assert.equal(listeners.length, 32);
  assert.deepEqual(listeners.slice(0, 3), [
    'socket,id=port0,listen=:10000',
    'socket,id=port1,listen=:10001',
    'socket,id=port2,listen=:10002',
  ]);
  assert.equal(
    c.args.filter((a: string) => a.startsWith('hubport,')).length,
    32,
  );
  assert.equal(
    objects.filter(
      o => o.kind === 'Service' && /-lan-\d+$/.test(o.metadata.name),
    ).length,
    3,
  );
  for (let i = 0; i < 3; i++) {
    const svc = one(objects, 'Service', `loco-demo-lego-loco-cluster-lan-${i}`);
    assert.deepEqual(svc.spec.ports, [
      { name: 'lan', port: 5555, targetPort: `lan-${i}`, protocol: 'TCP' },
    ]);
    assert.ok(
      c.ports.some(
        (p: any) => p.name === `lan-${i}` && p.containerPort === 10000 + i,
      ),
    );
    assert.equal(svc.spec.selector['app.kubernetes.io/component'], 'lan-hub');
  }
  // The hub is not an emulator for the portal's discovery.
  assert.equal(
    hub.spec.template.metadata.labels['app.kubernetes.io/component'],
    'lan-hub',
  );
});

test('LAN off / multicast: no hub, netdev follows the mode', () => {
  const off = render({ lan: { enabled: false } });
  assert.equal(byKind(off, 'Deployment').length, 0);
  assert.equal(envOf(emulatorContainer(off)).LOCO_NETDEV, '');
  const mcast = render({ lan: { mode: 'multicast' } });
  assert.equal(byKind(mcast, 'Deployment').length, 0);
  assert.match(
    envOf(emulatorContainer(mcast)).LOCO_NETDEV,
    /^socket,id=lan0,mcast=239\.255\.\d+\.\d+:5555$/,
  );
  const other = render(
    { lan: { mode: 'multicast' } },
    { release: 'loco-other' },
  );
  assert.notEqual(
    envOf(emulatorContainer(other)).LOCO_NETDEV,
    envOf(emulatorContainer(mcast)).LOCO_NETDEV,
    'two environments get two groups',
  );
  const stream = render({
    lan: { hub: { netdev: 'stream', reconnectSeconds: 3 } },
  });
  assert.equal(
    envOf(emulatorContainer(stream)).LOCO_NETDEV,
    'stream,id=lan0,server=off,addr.type=inet,addr.host=loco-demo-lego-loco-cluster-lan-$(LOCO_INSTANCE_INDEX).loco.svc,addr.port=5555,reconnect=3',
  );
});

test('NetworkPolicy: portal reaches VNC/health, emulators reach the hub', () => {
  const objects = render({ networkPolicy: { allowExternalEgress: false } });
  const emu = one(objects, 'NetworkPolicy', 'loco-demo-lego-loco-cluster');
  const ports = emu.spec.ingress[0].ports.map((p: any) => p.port);
  assert.deepEqual(ports, ['vnc', 'health']);
  assert.deepEqual(emu.spec.ingress[0].from[0].podSelector, {
    matchLabels: { 'app.kubernetes.io/name': 'backstage' },
  });
  assert.deepEqual(emu.spec.policyTypes, ['Ingress', 'Egress']);
  const toHub = emu.spec.egress.find(
    (r: any) =>
      r.to?.[0]?.podSelector?.matchLabels?.['app.kubernetes.io/component'] ===
      'lan-hub',
  );
  assert.deepEqual(toHub.ports, [
    { port: 10000, endPort: 10031, protocol: 'TCP' },
  ]);
  const hub = one(
    objects,
    'NetworkPolicy',
    'loco-demo-lego-loco-cluster-lan-hub',
  );
  assert.equal(
    hub.spec.ingress[0].from[0].podSelector.matchLabels[
      'app.kubernetes.io/component'
    ],
    'emulator',
  );
  assert.deepEqual(hub.spec.egress, []);
});

test('PodDisruptionBudget selects the emulators', () => {
  const objects = render();
  const pdb = one(objects, 'PodDisruptionBudget');
  assert.equal(pdb.spec.maxUnavailable, 1);
  assert.deepEqual(
    pdb.spec.selector.matchLabels,
    one(objects, 'StatefulSet').spec.selector.matchLabels,
  );
});

test('ServiceMonitor scrapes the health port of the headless Service', () => {
  const objects = render({
    serviceMonitor: { enabled: true, interval: '15s' },
  });
  const sm = one(objects, 'ServiceMonitor');
  assert.deepEqual(sm.spec.endpoints, [
    { port: 'health', path: '/metrics', interval: '15s' },
  ]);
  const svc = one(objects, 'Service', 'loco-demo-lego-loco-cluster-headless');
  for (const [k, v] of Object.entries(sm.spec.selector.matchLabels))
    assert.equal(svc.metadata.labels[k], v);
});

test('helm test pod asks every instance /ready and /health (helm-test-pod.test.ts runs it)', () => {
  const objects = render({ instances: 4 });
  const pod = one(objects, 'Pod');
  assert.equal(pod.metadata.annotations['helm.sh/hook'], 'test');
  const env = envOf(pod.spec.containers[0]);
  assert.equal(env.INSTANCES, '4');
  assert.equal(env.READY_RETRIES, '12');
  assert.equal(env.SERVICE, 'loco-demo-lego-loco-cluster-headless');
  assert.match(pod.spec.containers[0].args[0], /:8080"\n/);
  assert.match(pod.spec.containers[0].args[0], /curl -fsS .*"\$base\/ready"/);
  assert.match(pod.spec.containers[0].args[0], /"\$base\/health"/);
});

test('resource names stay within Kubernetes limits for a 40-character environment', () => {
  const name = 'e'.repeat(40);
  const objects = render(
    { environment: { name }, instances: 32 },
    { release: name },
  );
  for (const o of objects)
    assert.ok(o.metadata.name.length <= 63, `${o.kind} ${o.metadata.name}`);
  const sts = one(objects, 'StatefulSet');
  assert.ok(
    sts.metadata.name.length <= 52,
    'controller-revision-hash label must fit in 63',
  );
});
