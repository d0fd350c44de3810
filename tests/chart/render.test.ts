// Renders every preset and a matrix of values, and validates EVERY rendered
// object against Kubernetes schemas (kubernetes-models + unknown-field check).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  CHART,
  HELM,
  PRESETS,
  byKind,
  k8sErrors,
  presetFile,
  render,
  renderChart,
} from './helpers.ts';

function assertAllValid(objects: ReturnType<typeof render>, label: string) {
  assert.ok(objects.length > 0, `${label}: rendered nothing`);
  const errors = objects.flatMap(o => k8sErrors(o));
  assert.deepEqual(errors, [], `${label}: invalid Kubernetes objects`);
}

test('renders with real helm when it is on PATH, else with tools/helm-render', t => {
  // Every other test here renders through this choice; the log says which ran.
  const r = renderChart();
  assert.equal(r.ok, true, r.stderr);
  assert.equal(r.renderer, HELM ? 'helm' : 'helm-render');
  t.diagnostic(
    HELM
      ? `using helm at ${HELM}`
      : 'helm not on PATH: using tools/helm-render',
  );
});

test(
  'the chart passes helm lint',
  { skip: HELM ? false : 'helm is not installed' },
  () => {
    for (const preset of PRESETS) {
      const r = spawnSync(
        HELM!,
        ['lint', CHART, '--strict', '-f', presetFile(preset)],
        { encoding: 'utf8' },
      );
      assert.equal(
        r.status,
        0,
        `helm lint (${preset}):\n${r.stdout}${r.stderr}`,
      );
    }
  },
);

for (const preset of PRESETS) {
  test(`preset ${preset} renders valid Kubernetes objects`, () => {
    assertAllValid(render([], { files: [presetFile(preset)] }), preset);
  });
}

test('defaults render valid Kubernetes objects', () => {
  assertAllValid(render(), 'defaults');
});

// instances x storage mode x snapshot tag, with the optional objects toggled
// alternately so each toggle is seen both ways in every mode.
const modes = ['persistent', 'hybrid', 'ephemeral', 'hostpath'];
let n = 0;
for (const instances of [1, 9, 32]) {
  for (const mode of modes) {
    for (const tag of ['', 'win98-base']) {
      const on = n++ % 2 === 0;
      const values = {
        instances,
        storage: { mode },
        snapshot: { tag, registry: tag ? 'ghcr.io/org/loco-snapshots' : '' },
        networkPolicy: { enabled: on },
        podDisruptionBudget: { enabled: !on },
        serviceMonitor: { enabled: on },
        lan: { enabled: instances > 1 },
      };
      const label = `instances=${instances} mode=${mode} tag=${
        tag || '-'
      } netpol/sm=${on} pdb=${!on}`;
      test(`matrix: ${label}`, () => {
        const objects = render(values);
        assertAllValid(objects, label);
        assert.equal(byKind(objects, 'NetworkPolicy').length > 0, on);
        assert.equal(byKind(objects, 'PodDisruptionBudget').length, on ? 0 : 1);
        assert.equal(byKind(objects, 'ServiceMonitor').length, on ? 1 : 0);
      });
    }
  }
}

test('LAN variants render valid objects', () => {
  for (const lan of [
    { enabled: true, mode: 'multicast' },
    {
      enabled: true,
      mode: 'hub',
      hub: { netdev: 'stream', reconnectSeconds: 2 },
    },
    { enabled: false },
  ]) {
    assertAllValid(
      render({ lan, networkPolicy: { allowExternalEgress: false } }),
      JSON.stringify(lan),
    );
  }
});

test('KVM, private registry, extra args and placement render valid objects', () => {
  const objects = render({
    emulator: {
      kvm: true,
      extraArgs: ['-rtc', 'base=localtime'],
      extraEnv: [{ name: 'X', value: '1' }],
    },
    snapshot: {
      tag: 'win98-games',
      registry: 'registry.example.com:5000/loco/snapshots',
      registryConfigSecret: 'snap-pull',
      pullPolicy: 'Always',
    },
    imagePullSecrets: [{ name: 'regcred' }],
    nodeSelector: { 'kubernetes.io/os': 'linux' },
    tolerations: [{ key: 'loco', operator: 'Exists', effect: 'NoSchedule' }],
    topologySpreadConstraints: [
      {
        maxSkew: 1,
        topologyKey: 'kubernetes.io/hostname',
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: {
          matchLabels: { 'app.kubernetes.io/instance': '{{ .Release.Name }}' },
        },
      },
    ],
    storage: {
      mode: 'hybrid',
      storageClassName: '-',
      shared: { existingClaim: 'art' },
    },
  });
  assertAllValid(objects, 'options');
});

test(
  'NOTES.txt renders',
  { skip: HELM ? 'helm template does not print NOTES' : false },
  () => {
    for (const preset of PRESETS) {
      const r = renderChart([], {
        files: [presetFile(preset)],
        extraArgs: ['--show-notes'],
        parse: false,
      });
      assert.ok(r.ok, r.stderr);
      assert.match(r.stdout, /Loco environment "loco-demo"/);
      assert.match(r.stdout, new RegExp(`Storage: ${preset}`));
    }
  },
);
