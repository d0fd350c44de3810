// values.schema.json: accepts what the provisioning code writes, rejects bad
// values both through the renderer (helm validates on template/install) and
// directly with ajv on the merged values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  PRESETS,
  mergedValues,
  presetFile,
  renderChart,
  schemaErrors,
} from './helpers.ts';

// Exactly the shape the portal's provisioning writes.
const PROVISIONED = {
  environment: { name: 'loco-demo', owner: 'user:default/guest' },
  instances: 9,
  storage: {
    mode: 'persistent',
    size: '2Gi',
    storageClassName: '',
    hostPath: { path: '/var/lib/loco' },
    shared: { size: '1Gi', storageClassName: '', existingClaim: '' },
  },
  snapshot: {
    tag: 'win98-base',
    registry: 'ghcr.io/org/loco-snapshots',
    pullPolicy: 'IfNotPresent',
  },
  image: {
    repository: 'ghcr.io/loco-portal/emulator',
    tag: '',
    pullPolicy: 'IfNotPresent',
  },
  emulator: {
    memoryMB: 128,
    vga: 'std',
    sound: 'none',
    kvm: false,
    extraArgs: [],
  },
  lan: { enabled: true },
};

test('defaults, presets and provisioned values are valid', () => {
  assert.deepEqual(schemaErrors(mergedValues()), []);
  for (const preset of PRESETS)
    assert.deepEqual(
      schemaErrors(mergedValues([], { files: [presetFile(preset)] })),
      [],
      preset,
    );
  assert.deepEqual(schemaErrors(mergedValues([PROVISIONED])), []);
  assert.ok(renderChart(PROVISIONED).ok);
});

const BAD: [string, object][] = [
  ['instances 0', { instances: 0 }],
  ['instances 10000', { instances: 10000 }],
  ['instances 33', { instances: 33 }],
  ['instances not an integer', { instances: 2.5 }],
  ['instances as a string', { instances: '9' }],
  ['unknown storage mode', { storage: { mode: 'nfs' } }],
  ['storage mode in capitals', { storage: { mode: 'Persistent' } }],
  [
    'name with a shell metacharacter',
    { environment: { name: 'loco;rm -rf /' } },
  ],
  ['name with command substitution', { environment: { name: '$(reboot)' } }],
  ['name with a YAML metacharacter', { environment: { name: 'loco: demo' } }],
  ['name with a newline', { environment: { name: 'loco\nkind: Secret' } }],
  ['name with a quote', { environment: { name: "loco'demo" } }],
  ['name with upper case', { environment: { name: 'Loco' } }],
  ['name ending in a dash', { environment: { name: 'loco-' } }],
  ['name of 41 characters', { environment: { name: 'a'.repeat(41) } }],
  ['empty name', { environment: { name: '' } }],
  ['owner with a newline', { environment: { owner: 'user:default/x\ny' } }],
  ['memoryMB too small', { emulator: { memoryMB: 8 } }],
  ['memoryMB too large', { emulator: { memoryMB: 65536 } }],
  ['unknown vga', { emulator: { vga: 'qxl' } }],
  ['unknown sound card', { emulator: { sound: 'gus' } }],
  [
    'extra arg with a newline',
    { emulator: { extraArgs: ['-m 64\n-snapshot'] } },
  ],
  ['kvm as a string', { emulator: { kvm: 'yes' } }],
  ['saveOnStop as a string', { emulator: { saveOnStop: 'yes' } }],
  [
    'unknown shared folder access',
    { storage: { shared: { guestAccess: 'wx' } } },
  ],
  ['size not a quantity', { storage: { size: 'lots' } }],
  ['relative host path', { storage: { hostPath: { path: 'var/lib/loco' } } }],
  [
    'host path escaping with ..',
    { storage: { hostPath: { path: '/var/lib/../../etc' } } },
  ],
  [
    'host path with a space',
    { storage: { hostPath: { path: '/var/lib/lo co' } } },
  ],
  ['snapshot tag with a colon', { snapshot: { tag: 'win98:base' } }],
  [
    'snapshot registry with a tag',
    { snapshot: { registry: 'ghcr.io/org/snaps:latest' } },
  ],
  ['snapshot pull policy Never', { snapshot: { pullPolicy: 'Never' } }],
  ['snapshot fallback retry', { snapshot: { fallback: 'retry' } }],
  [
    'image repository with upper case',
    { image: { repository: 'GHCR.io/Loco' } },
  ],
  ['unknown top-level key (typo)', { instance: 3 }],
  ['unknown nested key (typo)', { storage: { sizes: '2Gi' } }],
  ['unknown lan mode', { lan: { mode: 'vxlan' } }],
  ['privileged securityContext', { securityContext: { privileged: true } }],
  [
    'maxUnavailable not a number or percentage',
    { podDisruptionBudget: { maxUnavailable: 'one' } },
  ],
  [
    'serviceMonitor interval not a duration',
    { serviceMonitor: { interval: 'often' } },
  ],
];

for (const [label, values] of BAD) {
  test(`schema rejects ${label}`, () => {
    assert.notDeepEqual(
      schemaErrors(mergedValues([values])),
      [],
      'ajv accepted it',
    );
    const r = renderChart(values);
    assert.equal(r.ok, false, `${r.renderer} rendered it`);
    assert.match(r.stderr, /schema/i);
  });
}

test('schema error messages point at the bad key', () => {
  const errors = schemaErrors(
    mergedValues([{ instances: 0, storage: { mode: 'nfs' } }]),
  );
  assert.ok(
    errors.some(e => e.startsWith('/instances ')),
    errors.join('\n'),
  );
  assert.ok(
    errors.some(e => e.startsWith('/storage/mode ')),
    errors.join('\n'),
  );
});

test('a values file can unset a default with null (Helm semantics)', () => {
  // null removes the key; the schema then checks the remaining values.
  const merged = mergedValues([{ podAnnotations: null }]);
  assert.ok(!('podAnnotations' in merged));
  assert.deepEqual(schemaErrors(merged), []);
});
