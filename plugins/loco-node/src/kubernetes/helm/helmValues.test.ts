import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import yaml from 'yaml';
import { DEFAULT_SNAPSHOT_FALLBACK } from '@loco-portal/plugin-loco-common';
import { releaseValues } from './helmValues';

const CHART = path.resolve(__dirname, '../../../../../chart');

/** Helm's values merge: maps merge per key, everything else replaces. */
function merge(base: any, over: any): any {
  if (typeof base !== 'object' || base === null || Array.isArray(base))
    return over;
  const out = { ...base };
  for (const [k, v] of Object.entries(over ?? {})) {
    out[k] =
      k in base && typeof v === 'object' && v !== null && !Array.isArray(v)
        ? merge(base[k], v)
        : v;
  }
  return out;
}

const defaults = yaml.parse(
  readFileSync(path.join(CHART, 'values.yaml'), 'utf8'),
);
const schema = JSON.parse(
  readFileSync(path.join(CHART, 'values.schema.json'), 'utf8'),
);

describe('releaseValues', () => {
  it('produces values the chart accepts (values.schema.json) and that land on the discovery keys', () => {
    const values = releaseValues({
      name: 'lan-party',
      owner: 'group:default/team-a',
      instances: 32,
      storageMode: 'hybrid',
      snapshotTag: 'win98-base',
      snapshotRegistry: 'ghcr.io/example/loco-snapshots',
    });
    const merged = merge(defaults, values);
    const validate = new Ajv({ allErrors: true, strict: false }).compile(
      schema,
    );
    expect(validate(merged) ? [] : validate.errors).toEqual([]);
    expect(merged.environment).toEqual({
      name: 'lan-party',
      owner: 'group:default/team-a',
    });
    expect(merged.instances).toBe(32);
    expect(merged.storage.mode).toBe('hybrid');
    expect(merged.storage.size).toBe(defaults.storage.size);
    expect(merged.snapshot).toMatchObject({
      tag: 'win98-base',
      registry: 'ghcr.io/example/loco-snapshots',
    });
  });

  it("passes loco.helm.snapshotRegistrySecrets as the chart's pull and push Secrets", () => {
    const values = releaseValues({
      name: 'builder',
      owner: '',
      instances: 1,
      storageMode: 'persistent',
      snapshotTag: '',
      snapshotRegistry: 'registry.example/loco/snapshots',
      snapshotRegistrySecrets: { pull: 'loco-pull', push: 'loco-push' },
    });
    const merged = merge(defaults, values);
    const validate = new Ajv({ allErrors: true, strict: false }).compile(
      schema,
    );
    expect(validate(merged) ? [] : validate.errors).toEqual([]);
    expect(merged.snapshot).toMatchObject({
      registryConfigSecret: 'loco-pull',
      publishConfigSecret: 'loco-push',
    });
    const without = merge(
      defaults,
      releaseValues({
        name: 'builder',
        owner: '',
        instances: 1,
        storageMode: 'persistent',
        snapshotTag: '',
        snapshotRegistry: '',
        snapshotRegistrySecrets: {},
      }),
    );
    expect(without.snapshot.registryConfigSecret).toBe('');
    expect(without.snapshot.publishConfigSecret).toBe('');
  });

  it("passes an environment's snapshot fallback as the chart's snapshot.fallback, and leaves the chart's default otherwise", () => {
    const spec = {
      name: 'games',
      owner: '',
      instances: 1,
      storageMode: 'ephemeral' as const,
      snapshotTag: 'games',
      snapshotRegistry: 'registry.example/loco/snapshots',
    };
    const validate = new Ajv({ allErrors: true, strict: false }).compile(
      schema,
    );
    const failing = merge(
      defaults,
      releaseValues({ ...spec, snapshotFallback: 'fail' }),
    );
    expect(validate(failing) ? [] : validate.errors).toEqual([]);
    expect(failing.snapshot.fallback).toBe('fail');
    expect(merge(defaults, releaseValues(spec)).snapshot.fallback).toBe(
      DEFAULT_SNAPSHOT_FALLBACK,
    );
  });

  it('turns on what chart/presets/hostpath.yaml turns on, so a hostpath release can prepare its disks', () => {
    const preset = yaml.parse(
      readFileSync(path.join(CHART, 'presets', 'hostpath.yaml'), 'utf8'),
    );
    const spec = {
      name: 'lan-party',
      owner: '',
      instances: 2,
      snapshotTag: '',
      snapshotRegistry: '',
    };
    const hostpath = releaseValues({ ...spec, storageMode: 'hostpath' });
    expect(hostpath.volumePermissions).toEqual(preset.volumePermissions);
    expect(hostpath.volumePermissions).toEqual({ enabled: true });
    // The other modes have no hostPath directory to chown.
    expect(
      releaseValues({ ...spec, storageMode: 'persistent' }),
    ).not.toHaveProperty('volumePermissions');
  });

  it('only uses keys that exist in chart/values.yaml', () => {
    const keys = (o: any, prefix = ''): string[] =>
      Object.entries(o).flatMap(([k, v]) =>
        typeof v === 'object' && v !== null && !Array.isArray(v)
          ? keys(v, `${prefix}${k}.`)
          : [`${prefix}${k}`],
      );
    const known = new Set(keys(defaults));
    const used = keys(
      releaseValues({
        name: 'a',
        owner: '',
        instances: 1,
        storageMode: 'ephemeral',
        snapshotTag: '',
        snapshotRegistry: '',
      }),
    );
    expect(used.filter(k => !known.has(k))).toEqual([]);
  });
});
