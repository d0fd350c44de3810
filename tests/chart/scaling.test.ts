// Scaling an environment changes only the instances that come or go: the
// rendered pod templates of the emulators and of the LAN hub do not depend
// on `instances`. Kubernetes rolls a StatefulSet's pods only when
// .spec.template changes (the controller's revision is a hash of the
// template: pkg/controller/statefulset/stateful_set_utils.go, getPatch and
// newRevision) and a Deployment's only when its pod template hash changes
// (pkg/controller/deployment/util: ComputeHash(&d.Spec.Template)), so a
// scale from 9 to 10 starts pod 9 and touches nothing else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_INSTANCES } from '../../plugins/loco-common/src/limits.ts';
import { CHART, PRESETS, byKind, one, presetFile, render } from './helpers.ts';

const LANS = [
  { enabled: true, mode: 'hub' },
  {
    enabled: true,
    mode: 'hub',
    hub: { netdev: 'stream', reconnectSeconds: 2 },
  },
  { enabled: true, mode: 'multicast' },
  { enabled: false },
];

const hubServices = (objects: ReturnType<typeof render>) =>
  byKind(objects, 'Service')
    .map(s => s.metadata.name)
    .filter(n => /-lan-\d+$/.test(n));

for (const preset of PRESETS) {
  for (const lan of LANS) {
    test(`scaling leaves every pod template alone (${preset}, lan ${JSON.stringify(
      lan,
    )})`, () => {
      const at = (instances: number) =>
        render({ instances, lan }, { files: [presetFile(preset)] });
      const sizes = [1, 9, 10, 32].map(n => ({ n, objects: at(n) }));
      const [first, ...rest] = sizes;
      const sts = (o: ReturnType<typeof render>) => one(o, 'StatefulSet');
      for (const { n, objects } of rest) {
        assert.equal(sts(objects).spec.replicas, n);
        // Everything of the StatefulSet but its replica count is the same.
        assert.deepEqual(
          { ...sts(objects).spec, replicas: 0 },
          { ...sts(first.objects).spec, replicas: 0 },
          `StatefulSet spec differs between 1 and ${n} instances`,
        );
        // The hub (when there is one) is the very same object.
        assert.deepEqual(
          byKind(objects, 'Deployment'),
          byKind(first.objects, 'Deployment'),
          `hub differs between 1 and ${n} instances`,
        );
        for (const policy of byKind(objects, 'NetworkPolicy'))
          assert.deepEqual(
            policy,
            one(first.objects, 'NetworkPolicy', policy.metadata.name),
          );
        // Only the per-instance hub Services come and go.
        if (lan.enabled && lan.mode === 'hub') {
          assert.equal(hubServices(objects).length, n);
        }
      }
    });
  }
}

test("the LAN's size is the most instances an environment may have", () => {
  const schema = JSON.parse(
    readFileSync(join(CHART, 'values.schema.json'), 'utf8'),
  );
  assert.equal(schema.properties.instances.maximum, MAX_INSTANCES);
  const hub = one(render({ instances: 1 }), 'Deployment');
  assert.equal(
    hub.spec.template.spec.containers[0].ports.length,
    MAX_INSTANCES,
  );
});
