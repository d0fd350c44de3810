import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createFakeHelm, FakeHelm } from './fakeHelm';
import { CHART } from './setup';

// The fake helm is the only evidence we have for the Helm path (no helm here),
// so each behaviour it claims to share with helm 3 is tested on the fake itself.

jest.setTimeout(30_000);

let helm: FakeHelm;
let dir: string;
beforeEach(() => {
  helm = createFakeHelm();
  dir = mkdtempSync(path.join(tmpdir(), 'fake-helm-test-'));
});
afterEach(() => {
  helm.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const run = (...args: string[]) => {
  const r = spawnSync(helm.binary, args, { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};

/** Starts helm without waiting; resolves with its exit when it ends. */
const start = (...args: string[]) => {
  const child = spawn(helm.binary, args);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', d => (stdout += d));
  child.stderr.on('data', d => (stderr += d));
  const exit = new Promise<{
    status: number | null;
    signal: string | null;
    stdout: string;
    stderr: string;
  }>(resolve =>
    child.on('close', (status, signal) =>
      resolve({ status, signal, stdout, stderr }),
    ),
  );
  return { child, exit };
};

const valuesFile = (name: string, text: string) => {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
};

const demoValues = () =>
  valuesFile(
    'demo.yaml',
    'environment:\n  name: lan\n  owner: user:default/a\ninstances: 3\n',
  );

const install = (...extra: string[]) =>
  run(
    'upgrade',
    '--install',
    'lan',
    CHART,
    '--namespace',
    'loco',
    '--create-namespace',
    '--values',
    demoValues(),
    ...extra,
  );

/** A small chart written by the test (its version 2 adds a value its template needs). */
function tinyChart(version: 1 | 2, options: { failWhen?: string } = {}) {
  const chart = path.join(dir, `tiny-v${version}`);
  mkdirSync(path.join(chart, 'templates'), { recursive: true });
  writeFileSync(
    path.join(chart, 'Chart.yaml'),
    `apiVersion: v2\nname: tiny\nversion: 0.${version}.0\n`,
  );
  writeFileSync(
    path.join(chart, 'values.yaml'),
    version === 1
      ? 'replicas: 1\nmode: slow\n'
      : 'replicas: 1\nmode: slow\ncolor:\n  name: blue\n',
  );
  const color =
    version === 2 ? '\n  color: {{ .Values.color.name | quote }}' : '';
  const fail = options.failWhen
    ? `{{ if ${options.failWhen} }}{{ fail "replicas must be at most 5" }}{{ end }}\n`
    : '';
  writeFileSync(
    path.join(chart, 'templates', 'cm.yaml'),
    `${fail}apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  replicas: {{ .Values.replicas | quote }}${color}\n`,
  );
  return chart;
}

const statuses = (key = 'loco/lan') => helm.releases()[key]?.map(r => r.status);

describe('the fake helm parses its command line like helm', () => {
  it.each([
    [['upgrade', 'lan', CHART, '--atomic'], 'Error: unknown flag: --atomic'],
    [['history', 'lan', '-x'], "Error: unknown shorthand flag: 'x' in -x"],
    [
      ['history', 'lan', '--output', 'xml'],
      'Error: invalid argument "xml" for "-o, --output" flag: invalid format type',
    ],
    [
      ['upgrade', 'lan', CHART, '--timeout', '5 minutes'],
      'Error: invalid argument "5 minutes" for "--timeout" flag: time: invalid duration "5 minutes"',
    ],
    [
      ['history', 'lan', '--namespace'],
      'Error: flag needs an argument: --namespace',
    ],
    [
      ['history'],
      'Error: "helm history" requires 1 argument\n\nUsage:  helm history RELEASE_NAME [flags]',
    ],
    [
      ['upgrade', 'lan'],
      'Error: "helm upgrade" requires 2 arguments\n\nUsage:  helm upgrade [RELEASE] [CHART] [flags]',
    ],
    [
      ['install', 'lan', CHART],
      'Error: unknown command "install" for "helm"\nRun \'helm --help\' for usage.',
    ],
  ])("refuses %j with exit code 1 and helm's message", (args, message) => {
    const r = run(...args);
    expect({ status: r.status, stderr: r.stderr.trim() }).toEqual({
      status: 1,
      stderr: message,
    });
    expect(helm.releases()).toEqual({});
  });

  it('takes flags in any place and in every pflag spelling', () => {
    const r = run(
      'upgrade',
      '-i',
      '--namespace=loco',
      'lan',
      '--create-namespace',
      CHART,
      `-f${demoValues()}`,
      '--wait=true',
      '--timeout=90s',
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(statuses()).toEqual(['deployed']);
  });
});

describe('helm history', () => {
  it('prints a table unless --output json, and "release: not found" for no release', () => {
    expect(run('history', 'lan', '-n', 'loco')).toEqual({
      status: 1,
      stdout: '',
      stderr: 'Error: release: not found\n',
    });
    install();
    const table = run('history', 'lan', '-n', 'loco').stdout.split('\n');
    expect(table[0].split(/\s+/).filter(Boolean)).toEqual([
      'REVISION',
      'UPDATED',
      'STATUS',
      'CHART',
      'APP',
      'VERSION',
      'DESCRIPTION',
    ]);
    expect(table[1]).toMatch(
      /^1\s+\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\s+deployed\s+lego-loco-cluster-0\.1\.0\s+0\.1\.0\s+Install complete\s*$/,
    );
    expect(() => JSON.parse(table.join('\n'))).toThrow();
    const json = JSON.parse(
      run('history', 'lan', '-n', 'loco', '--output', 'json').stdout,
    );
    expect(json).toEqual([
      {
        revision: 1,
        updated: expect.any(String),
        status: 'deployed',
        chart: 'lego-loco-cluster-0.1.0',
        app_version: '0.1.0',
        description: 'Install complete',
      },
    ]);
  });
});

describe('helm upgrade [--install]', () => {
  it('installs into a missing namespace only with --create-namespace', () => {
    const r = run(
      'upgrade',
      '--install',
      'lan',
      CHART,
      '-n',
      'loco',
      '-f',
      demoValues(),
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      'Error: create: failed to create: namespaces "loco" not found\n',
    );
    expect(helm.releases()).toEqual({});
    expect(install().status).toBe(0);
    expect(helm.namespaces()).toEqual(['default', 'loco']);
  });

  it('refuses an upgrade of a release that does not exist, prefixed UPGRADE FAILED', () => {
    const r = run('upgrade', 'lan', CHART, '-n', 'loco', '-f', demoValues());
    expect([r.status, r.stderr]).toEqual([
      1,
      'Error: UPGRADE FAILED: "lan" has no deployed releases\n',
    ]);
  });

  it("validates values against the chart's values.schema.json and records nothing it refuses", () => {
    const tooMany = valuesFile(
      'many.yaml',
      'environment:\n  name: lan\n  owner: user:default/a\ninstances: 40\n',
    );
    const r = run(
      'upgrade',
      '--install',
      'lan',
      CHART,
      '-n',
      'loco',
      '--create-namespace',
      '-f',
      tooMany,
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      "Error: values don't meet the specifications of the schema(s) in the following chart(s):\nlego-loco-cluster:\n- at '/instances': must be <= 32\n\n",
    );
    expect(helm.releases()).toEqual({});
    // The same values pass once they meet the schema.
    expect(install().status).toBe(0);
  });

  // Template errors are tools/helm-render's wording of Go's template errors
  // (helm words the head of some differently), so only their core is matched.
  it('renders the chart: a template that fails, fails the install and records nothing', () => {
    const chart = tinyChart(1, { failWhen: 'gt (int .Values.replicas) 5' });
    const big = valuesFile('big.yaml', 'replicas: 9\n');
    const r = run('upgrade', '--install', 'tiny', chart, '-f', big);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /^Error: .*tiny\/templates\/cm\.yaml:1:\d+.*: replicas must be at most 5\n$/,
    );
    expect(helm.releases()).toEqual({});
    expect(
      run(
        'upgrade',
        '--install',
        'tiny',
        chart,
        '-f',
        valuesFile('ok.yaml', 'replicas: 2\n'),
      ).status,
    ).toBe(0);
    expect(helm.releases()['default/tiny'][0].manifest).toContain(
      'replicas: "2"',
    );
  });

  it('warns on stderr while coalescing, and goes on', () => {
    const chart = tinyChart(1);
    const r = run(
      'upgrade',
      '--install',
      'tiny',
      chart,
      '-f',
      valuesFile('mode.yaml', 'mode:\n  fast: true\n'),
    );
    expect(r.status).toBe(0);
    expect(r.stderr).toBe(
      'coalesce.go:237: warning: skipped value for tiny.mode: Not a table.\n',
    );
    expect(r.stdout).not.toContain('warning');
  });

  it("--reuse-values keeps the old chart values, --reset-then-reuse-values takes the new chart's", () => {
    expect(
      run(
        'upgrade',
        '--install',
        'tiny',
        tinyChart(1),
        '-f',
        valuesFile('r.yaml', 'replicas: 3\n'),
      ).status,
    ).toBe(0);
    const v2 = tinyChart(2);
    const none = valuesFile('none.yaml', '{}\n');
    // helm's --reuse-values trap: the new chart's values.yaml is not read, so its new key is missing.
    const reused = run('upgrade', 'tiny', v2, '--reuse-values', '-f', none);
    expect(reused.status).toBe(1);
    expect(reused.stderr).toMatch(
      /^Error: UPGRADE FAILED: .*tiny\/templates\/cm\.yaml:7:\d+.* at <\.Values\.color\.name>: nil pointer evaluating interface \{\}\.name\n$/,
    );
    expect(statuses('default/tiny')).toEqual(['deployed']);

    const reset = run(
      'upgrade',
      'tiny',
      v2,
      '--reset-then-reuse-values',
      '-f',
      none,
    );
    expect(reset.stderr).toBe('');
    expect(
      JSON.parse(run('get', 'values', 'tiny', '-o', 'json').stdout),
    ).toEqual({ replicas: 3 });
    expect(
      JSON.parse(run('get', 'values', 'tiny', '--all', '-o', 'json').stdout),
    ).toEqual({
      replicas: 3,
      mode: 'slow',
      color: { name: 'blue' },
    });
    // --reuse-values merges the new file over the last values; the new file wins.
    const more = valuesFile('more.yaml', 'replicas: 4\nextra: 1\n');
    expect(
      run('upgrade', 'tiny', v2, '--reuse-values', '-f', more).status,
    ).toBe(0);
    expect(
      JSON.parse(run('get', 'values', 'tiny', '-o', 'json').stdout),
    ).toEqual({ replicas: 4, extra: 1 });
    expect(statuses('default/tiny')).toEqual([
      'superseded',
      'superseded',
      'deployed',
    ]);
  });

  it("records a failed apply as a failed revision with helm's description", () => {
    install();
    helm.failOn('upgrade', {
      exitCode: 1,
      stderr: 'Error: UPGRADE FAILED: timed out waiting for the condition',
    });
    const r = install();
    expect([r.status, r.stderr]).toEqual([
      1,
      'Error: UPGRADE FAILED: timed out waiting for the condition\n',
    ]);
    expect(
      helm.releases()['loco/lan'].map(x => [x.status, x.description]),
    ).toEqual([
      ['deployed', 'Install complete'],
      ['failed', 'Upgrade "lan" failed: timed out waiting for the condition'],
    ]);
  });
});

describe('operations in progress', () => {
  it('keeps an install pending-install while it applies, refuses a second one, and deploys when it ends', async () => {
    helm.holdOn('upgrade');
    const first = start(
      'upgrade',
      '--install',
      'lan',
      CHART,
      '-n',
      'loco',
      '--create-namespace',
      '-f',
      demoValues(),
    );
    await helm.held();
    expect(statuses()).toEqual(['pending-install']);
    // The release exists now, so a second `upgrade --install` takes the upgrade path.
    const second = install();
    expect([second.status, second.stderr]).toEqual([
      1,
      'Error: UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress\n',
    ]);
    helm.letGo('upgrade');
    expect((await first.exit).status).toBe(0);
    expect(statuses()).toEqual(['deployed']);
  });

  it('keeps an upgrade pending-upgrade; SIGTERM cancels it as helm does, SIGKILL leaves it pending', async () => {
    install();
    helm.holdOn('upgrade');
    const cancelled = start(
      'upgrade',
      'lan',
      CHART,
      '-n',
      'loco',
      '--reuse-values',
      '-f',
      demoValues(),
    );
    const [{ pid }] = await helm.held();
    expect(statuses()).toEqual(['deployed', 'pending-upgrade']);
    process.kill(pid, 'SIGTERM');
    const end = await cancelled.exit;
    expect(end).toMatchObject({
      status: 1,
      stdout: 'Release lan has been cancelled.\n',
      stderr: 'Error: UPGRADE FAILED: context canceled\n',
    });
    expect(helm.releases()['loco/lan'][1]).toMatchObject({
      status: 'failed',
      description: 'Upgrade "lan" failed: context canceled',
    });

    const killed = start(
      'upgrade',
      'lan',
      CHART,
      '-n',
      'loco',
      '--reuse-values',
      '-f',
      demoValues(),
    );
    const [{ pid: pid2 }] = await helm.held();
    process.kill(pid2, 'SIGKILL');
    expect((await killed.exit).signal).toBe('SIGKILL');
    expect(statuses()).toEqual(['deployed', 'failed', 'pending-upgrade']);
    helm.letGo('upgrade');
    expect(install().stderr).toBe(
      'Error: UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress\n',
    );
    // helm rollback does not check for pending operations (action/rollback.go): it is the way out.
    expect(run('rollback', 'lan', '1', '-n', 'loco', '--wait').stdout).toBe(
      'Rollback was a success! Happy Helming!\n',
    );
    expect(statuses()).toEqual([
      'superseded',
      'failed',
      'pending-upgrade',
      'deployed',
    ]);
  });
});

describe('helm get values, rollback and uninstall', () => {
  it('answers what helm answers', () => {
    install();
    expect(run('get', 'values', 'lan', '-n', 'loco').stdout).toBe(
      'USER-SUPPLIED VALUES:\nenvironment:\n  name: lan\n  owner: user:default/a\ninstances: 3\n',
    );
    expect(run('rollback', 'lan', '7', '-n', 'loco').stderr).toBe(
      'Error: release has no 7 version\n',
    );
    expect(run('uninstall', 'lan', '-n', 'loco').stdout).toBe(
      'release "lan" uninstalled\n',
    );
    expect(run('uninstall', 'lan', '-n', 'loco').stderr).toBe(
      'Error: uninstall: Release not loaded: lan: release: not found\n',
    );
    expect(helm.calls()[0]).toEqual({
      argv: expect.arrayContaining(['upgrade', '--install', 'lan']),
      values:
        'environment:\n  name: lan\n  owner: user:default/a\ninstances: 3\n',
      token: null,
    });
  });
});
