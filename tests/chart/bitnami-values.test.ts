// Values users of Bitnami-style charts expect: global.imageRegistry,
// (global.)imagePullSecrets, image.digest, extraVolumes/extraVolumeMounts,
// podAnnotations and the affinity presets. Each renders where it should and
// the result stays valid Kubernetes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  k8sErrors,
  one,
  podSpecs,
  render,
  renderChart,
  schemaErrors,
  mergedValues,
} from './helpers.ts';

const DIGEST = `sha256:${'a'.repeat(64)}`;

function images(objects: ReturnType<typeof render>) {
  return podSpecs(objects).flatMap(p =>
    [...(p.spec.initContainers ?? []), ...p.spec.containers].map(
      (c: any) => `${p.owner} ${c.name} ${c.image}`,
    ),
  );
}

function valid(objects: ReturnType<typeof render>) {
  assert.deepEqual(
    objects.flatMap(o => k8sErrors(o)),
    [],
  );
}

test('global.imageRegistry replaces the registry of every image, or goes in front', () => {
  const objects = render({ global: { imageRegistry: 'mirror.internal:5000' } });
  valid(objects);
  const all = images(objects);
  assert.ok(all.length >= 3, all.join('\n'));
  for (const line of all) {
    assert.match(line, / mirror\.internal:5000\//, line);
    assert.doesNotMatch(line, /ghcr\.io/, line);
  }
  // The emulator's repository had a registry (ghcr.io): replaced.
  assert.ok(
    all.some(l => / mirror\.internal:5000\/loco-portal\/emulator:/.test(l)),
    all.join('\n'),
  );
  // The test image (curlimages/curl, Docker Hub implied) gets the mirror in front.
  assert.ok(
    all.some(l => / mirror\.internal:5000\/curlimages\/curl:/.test(l)),
    all.join('\n'),
  );
});

test('image.digest pins the emulator and the hub running its image', () => {
  const objects = render({ image: { digest: DIGEST } });
  valid(objects);
  const emulator = one(objects, 'StatefulSet');
  for (const c of [
    ...emulator.spec.template.spec.initContainers,
    ...emulator.spec.template.spec.containers,
  ]) {
    assert.equal(c.image, `ghcr.io/loco-portal/emulator@${DIGEST}`);
  }
  const hub = one(objects, 'Deployment');
  assert.equal(
    hub.spec.template.spec.containers[0].image,
    `ghcr.io/loco-portal/emulator@${DIGEST}`,
  );
  // A hub image of its own is not pinned by the emulator's digest.
  const own = render({
    image: { digest: DIGEST },
    lan: { hub: { image: { repository: 'quay.io/x/qemu', tag: '9' } } },
  });
  assert.equal(
    one(own, 'Deployment').spec.template.spec.containers[0].image,
    'quay.io/x/qemu:9',
  );
});

test('a digest that is not sha256 is refused by the schema', () => {
  assert.notDeepEqual(
    schemaErrors(mergedValues([{ image: { digest: 'latest' } }])),
    [],
  );
  assert.equal(renderChart({ image: { digest: 'latest' } }).ok, false);
});

test('global and chart imagePullSecrets reach every pod, as names or objects, once', () => {
  const objects = render({
    global: { imagePullSecrets: ['mirror-cred', { name: 'shared' }] },
    imagePullSecrets: [{ name: 'shared' }, 'regcred'],
  });
  valid(objects);
  const pods = podSpecs(objects);
  assert.ok(pods.length >= 3);
  for (const p of pods) {
    assert.deepEqual(
      p.spec.imagePullSecrets,
      [{ name: 'mirror-cred' }, { name: 'shared' }, { name: 'regcred' }],
      p.owner,
    );
  }
  // None given: no empty list.
  for (const p of podSpecs(render())) {
    assert.equal(p.spec.imagePullSecrets, undefined, p.owner);
  }
});

test('extraVolumes and extraVolumeMounts reach the emulator pod (templated)', () => {
  const objects = render({
    extraVolumes: [
      { name: 'roms', configMap: { name: '{{ .Release.Name }}-roms' } },
    ],
    extraVolumeMounts: [
      { name: 'roms', mountPath: '/opt/roms', readOnly: true },
    ],
  });
  valid(objects);
  const pod = one(objects, 'StatefulSet').spec.template.spec;
  assert.deepEqual(
    pod.volumes.find((v: any) => v.name === 'roms'),
    { name: 'roms', configMap: { name: 'loco-demo-roms' } },
  );
  const emulator = pod.containers.find((c: any) => c.name === 'emulator');
  assert.deepEqual(
    emulator.volumeMounts.find((m: any) => m.name === 'roms'),
    { name: 'roms', mountPath: '/opt/roms', readOnly: true },
  );
});

test('podAnnotations reach the emulator pods', () => {
  const objects = render({ podAnnotations: { 'example.com/team': 'games' } });
  assert.equal(
    one(objects, 'StatefulSet').spec.template.metadata.annotations[
      'example.com/team'
    ],
    'games',
  );
});

test('affinity presets: soft and hard pod anti-affinity, node affinity; affinity wins', () => {
  const selector = (o: any) => o.spec.template.spec.affinity;
  assert.equal(selector(one(render(), 'StatefulSet')), undefined);

  const soft = one(render({ podAntiAffinityPreset: 'soft' }), 'StatefulSet');
  const term =
    selector(soft).podAntiAffinity
      .preferredDuringSchedulingIgnoredDuringExecution[0];
  assert.equal(term.podAffinityTerm.topologyKey, 'kubernetes.io/hostname');
  assert.deepEqual(
    term.podAffinityTerm.labelSelector.matchLabels,
    soft.spec.selector.matchLabels,
  );

  const hard = render({
    podAntiAffinityPreset: 'hard',
    nodeAffinityPreset: {
      type: 'hard',
      key: 'kubernetes.io/arch',
      values: ['amd64'],
    },
  });
  valid(hard);
  const affinity = selector(one(hard, 'StatefulSet'));
  assert.deepEqual(
    affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0]
      .labelSelector.matchLabels,
    one(hard, 'StatefulSet').spec.selector.matchLabels,
  );
  assert.deepEqual(
    affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution
      .nodeSelectorTerms[0].matchExpressions,
    [{ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] }],
  );

  const own = {
    nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [] },
  };
  assert.deepEqual(
    selector(
      one(
        render({ affinity: own, podAntiAffinityPreset: 'hard' }),
        'StatefulSet',
      ),
    ),
    own,
  );
});

test('a node affinity preset without a key or values is refused', () => {
  assert.equal(renderChart({ nodeAffinityPreset: { type: 'soft' } }).ok, false);
  assert.equal(renderChart({ podAntiAffinityPreset: 'always' }).ok, false);
});
