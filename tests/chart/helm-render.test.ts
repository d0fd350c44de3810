// tools/helm-render against a fixture chart: the Helm behaviours our chart
// depends on, and honest refusals for what it does not support.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { helmRender } from './helpers.ts';

const MINI = join(import.meta.dirname, 'fixtures', 'mini');

function hr(args: string[]) {
  const r = spawnSync(helmRender(), args, { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function withFiles<T>(
  files: Record<string, string>,
  fn: (paths: Record<string, string>) => T,
): T {
  const dir = mkdtempSync(join(tmpdir(), 'helm-render-'));
  try {
    const paths: Record<string, string> = {};
    for (const [name, body] of Object.entries(files)) {
      paths[name] = join(dir, name);
      writeFileSync(paths[name], body);
    }
    return fn(paths);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function configMap(stdout: string): Record<string, string> {
  const docs = parseAllDocuments(stdout).map(d => d.toJS());
  return docs.find(
    (d: any) => d?.kind === 'ConfigMap' && d.metadata.name === 'values',
  ).data;
}

test('stream: "# Source:" headers, install order by kind, hooks last, blank documents dropped', () => {
  const r = hr(['-q', 'rel', MINI, '-n', 'ns']);
  assert.equal(r.status, 0, r.stderr);
  const sources = [...r.stdout.matchAll(/^# Source: (.+)$/gm)].map(m => m[1]);
  const kinds = [...r.stdout.matchAll(/^kind: (.+)$/gm)].map(m => m[1]);
  assert.deepEqual(kinds, ['ConfigMap', 'Service', 'Deployment', 'Pod']);
  assert.deepEqual(sources, [
    'mini/templates/b-configmap.yaml',
    'mini/templates/a-deployment.yaml',
    'mini/templates/a-deployment.yaml',
    'mini/templates/c-test.yaml',
  ]);
  assert.ok(r.stdout.startsWith('---\n# Source: '));
  assert.doesNotMatch(
    r.stdout,
    /partial files|Installed rel/,
    'no partials, no NOTES.txt',
  );
});

test('--skip-tests leaves out test hooks; --show-notes prints NOTES.txt only', () => {
  assert.doesNotMatch(
    hr(['-q', '--skip-tests', 'rel', MINI]).stdout,
    /kind: Pod/,
  );
  const notes = hr(['-q', 'rel', MINI, '--show-notes']);
  assert.equal(notes.stdout, 'Installed rel (mini).\n');
});

test('built-in objects: Release, Chart, Capabilities, Template, Files', () => {
  const data = configMap(
    hr([
      '-q',
      'rel',
      MINI,
      '-n',
      'ns',
      '-a',
      'monitoring.coreos.com/v1',
      '--kube-version',
      '1.29',
    ]).stdout,
  );
  assert.equal(data.release, 'rel');
  assert.equal(data.service, 'Helm');
  assert.equal(data.isInstall, 'true');
  assert.equal(data.isUpgrade, 'false');
  assert.equal(data.chart, 'mini-1.2.3-9.9');
  assert.equal(data.kube, 'v1.29.0');
  assert.equal(data.hasApps, 'true');
  assert.equal(data.hasMonitoring, 'true');
  assert.equal(data.template, 'mini/templates/b-configmap.yaml');
  assert.equal(data.basePath, 'mini/templates');
  assert.equal(data.file, 'hello from a file');
  const upgrade = configMap(hr(['-q', '--is-upgrade', 'rel', MINI]).stdout);
  assert.equal(upgrade.isInstall, 'false');
  assert.equal(
    upgrade.hasMonitoring,
    'false',
    'CRD groups only with --api-versions',
  );
});

test('Helm functions: include, tpl, lookup, fromYaml, toYaml, toJson; missing keys render empty', () => {
  const data = configMap(hr(['-q', 'rel', MINI]).stdout);
  assert.equal(data.tpl, 'rel-tpl');
  assert.equal(data.lookup, '{}');
  assert.equal(data.fromYaml, '2');
  assert.equal(data.list, '["a","b"]');
  assert.equal(data.toYaml, 'keep: 1\nlist:\n- a\n- b\nreplace: from-chart\n');
  assert.equal(data.missing, '[]', 'missingkey=zero and "<no value>" removed');
  assert.equal(data.missingTop, '[]');
  // Numbers come through YAML->JSON as float64, as in Helm (1000000 -> 1e+06).
  assert.equal(data.number, '9');
  assert.equal(data.big, '1e+06');
});

test('values files deep-merge in order; null deletes a default', () => {
  withFiles(
    {
      'one.yaml':
        'nested: {replace: from-one, added: yes-one}\nremoveMe: null\n',
      'two.yaml': 'nested: {added: from-two}\n',
    },
    f => {
      const data = configMap(
        hr(['-q', 'rel', MINI, '-f', f['one.yaml'], '--values', f['two.yaml']])
          .stdout,
      );
      assert.equal(data.keep, '1', 'untouched defaults stay');
      assert.equal(data.replace, 'from-one');
      assert.equal(data.added, 'from-two', 'later file wins');
      assert.equal(data.removed, 'false');
      const printed = JSON.parse(
        hr(['--print-values', 'rel', MINI, '-f', f['one.yaml']]).stdout,
      );
      assert.deepEqual(printed.nested, {
        keep: 1,
        replace: 'from-one',
        added: 'yes-one',
        list: ['a', 'b'],
      });
      assert.ok(!('removeMe' in printed));
    },
  );
});

test('required fails the render with its message', () => {
  withFiles({ 'v.yaml': 'needRequired: {other: 1}\n' }, f => {
    const r = hr(['-q', 'rel', MINI, '-f', f['v.yaml']]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /needRequired\.name is required/);
  });
});

test('env and expandenv are not available to templates', () => {
  const dir = mkdtempSync(join(tmpdir(), 'helm-render-chart-'));
  try {
    cpSync(MINI, dir, { recursive: true });
    writeFileSync(
      join(dir, 'templates', 'z-env.yaml'),
      'x: {{ env "HOME" }}\n',
    );
    const r = hr(['-q', 'rel', dir]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /function "env" not defined/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('invalid YAML output is an error, as in helm', () => {
  const dir = mkdtempSync(join(tmpdir(), 'helm-render-chart-'));
  try {
    cpSync(MINI, dir, { recursive: true });
    writeFileSync(
      join(dir, 'templates', 'z-bad.yaml'),
      'kind: ConfigMap\n  bad: [indent\n',
    );
    const r = hr(['-q', 'rel', dir]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /YAML parse error on mini\/templates\/z-bad\.yaml/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('unsupported features are refused, not silently ignored', () => {
  const set = hr(['rel', MINI, '--set', 'name=x']);
  assert.equal(set.status, 2);
  assert.match(set.stderr, /unsupported flag "--set"/);
  const dir = mkdtempSync(join(tmpdir(), 'helm-render-chart-'));
  try {
    cpSync(MINI, dir, { recursive: true });
    writeFileSync(
      join(dir, 'Chart.yaml'),
      'apiVersion: v2\nname: mini\nversion: 1.0.0\ndependencies:\n  - name: x\n    version: 1.0.0\n',
    );
    const deps = hr(['rel', dir]);
    assert.equal(deps.status, 1);
    assert.match(deps.stderr, /dependencies\/subcharts are not supported/);
    writeFileSync(
      join(dir, 'Chart.yaml'),
      'apiVersion: v2\nname: mini\nversion: 1.0.0\nkubeVersion: ">=1.31.0-0"\n',
    );
    const kube = hr(['-q', 'rel', dir]);
    assert.equal(kube.status, 1);
    assert.match(kube.stderr, /kubeVersion/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('without -q it warns that the values schema is not checked', () => {
  const dir = mkdtempSync(join(tmpdir(), 'helm-render-chart-'));
  try {
    cpSync(MINI, dir, { recursive: true });
    writeFileSync(join(dir, 'values.schema.json'), '{"type": "object"}');
    assert.match(
      hr(['rel', dir]).stderr,
      /values\.schema\.json is not validated/,
    );
    assert.equal(hr(['-q', 'rel', dir]).stderr, '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
