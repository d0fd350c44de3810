// The environment name and snapshot tag rules are defined once, in
// plugins/loco-common/src/names.ts. values.schema.json cannot import them, so
// this test holds its patterns equal to them, and shows that every name the
// rule accepts renders objects Kubernetes accepts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ENVIRONMENT_NAME_MAX_LENGTH,
  ENVIRONMENT_NAME_PATTERN,
  SNAPSHOT_TAG_PATTERN,
} from '../../plugins/loco-common/src/names.ts';
import {
  DEFAULT_SNAPSHOT_FALLBACK,
  SNAPSHOT_FALLBACKS,
} from '../../plugins/loco-common/src/snapshots.ts';
import { CHART, PRESETS, presetFile, render, renderChart } from './helpers.ts';

const schema = JSON.parse(
  readFileSync(join(CHART, 'values.schema.json'), 'utf8'),
);

test("values.schema.json's environment.name is loco-common's name rule", () => {
  const name = schema.properties.environment.properties.name;
  assert.equal(name.pattern, ENVIRONMENT_NAME_PATTERN.source);
  assert.equal(name.maxLength, ENVIRONMENT_NAME_MAX_LENGTH);
  assert.equal(ENVIRONMENT_NAME_PATTERN.flags, '');
});

test("values.schema.json's snapshot.tag is loco-common's tag rule (or empty)", () => {
  const tag = schema.properties.snapshot.properties.tag;
  assert.equal(tag.pattern, `^$|${SNAPSHOT_TAG_PATTERN.source}`);
  assert.equal(SNAPSHOT_TAG_PATTERN.flags, '');
});

test("snapshot.fallback is loco-common's fallback list, with its default", () => {
  const fallback = schema.properties.snapshot.properties.fallback;
  assert.deepEqual(fallback.enum, [...SNAPSHOT_FALLBACKS]);
  assert.equal(fallback.default, DEFAULT_SNAPSHOT_FALLBACK);
  const values = readFileSync(join(CHART, 'values.yaml'), 'utf8');
  assert.match(
    values,
    new RegExp(`^  fallback: ${DEFAULT_SNAPSHOT_FALLBACK}$`, 'm'),
    'values.yaml sets the same default',
  );
});

// RFC 1035 label: what a Service name must be (and every name derived from the release).
const RFC1035 = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
// RFC 1123 subdomain: most other object names.
const RFC1123 =
  /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

for (const preset of PRESETS) {
  test(`the longest and shortest accepted names render valid object names (${preset})`, () => {
    for (const name of ['z'.repeat(ENVIRONMENT_NAME_MAX_LENGTH), 'a']) {
      const objects = render(
        {
          environment: { name, owner: 'user:default/guest' },
          instances: 32,
          snapshot: { tag: 'A'.repeat(64), registry: 'ghcr.io/org/snaps' },
        },
        { release: name, files: [presetFile(preset)] },
      );
      for (const o of objects) {
        const rule = o.kind === 'Service' ? RFC1035 : RFC1123;
        assert.match(o.metadata.name, rule, `${o.kind} ${o.metadata.name}`);
        assert.ok(o.metadata.name.length <= 63, o.metadata.name);
      }
    }
  });
}

for (const [label, values] of [
  ['a name starting with a digit', { environment: { name: '9lan' } }],
  ['a tag starting with "_"', { snapshot: { tag: '_base' } }],
  ['a tag of 65 characters', { snapshot: { tag: 'a'.repeat(65) } }],
] as const) {
  test(`the schema refuses ${label}, as loco-common does`, () => {
    const r = renderChart(values);
    assert.equal(r.ok, false, `${r.renderer} rendered it`);
    assert.match(r.stderr, /schema/i);
  });
}
