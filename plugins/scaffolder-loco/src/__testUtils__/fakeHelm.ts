import {
  chmodSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * Test double for the `helm` executable: a small Node script written to a temp
 * directory and given to the code under test as `loco.helm.binary`. It keeps
 * releases in a JSON file the way Helm keeps release records (revisions with
 * status deployed/superseded/failed), answers `history -o json`, `upgrade
 * [--install]`, `get values -o json`, `rollback` and `uninstall` with Helm's
 * messages and exit codes, records every argv, the values file contents and
 * whether the token arrived in HELM_KUBETOKEN, and fails a subcommand on demand
 * with a given exit code and stderr. Like Helm, each revision keeps its
 * user-supplied values (`config`): `--reuse-values` merges the new file over
 * the last deployed revision's, and `get values` answers the latest revision's.
 */
const SCRIPT = String.raw`
const fs = require('fs');
const path = require('path');
const dir = __dirname;
const read = (f, d) => (fs.existsSync(path.join(dir, f)) ? JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) : d);
const write = (f, v) => fs.writeFileSync(path.join(dir, f), JSON.stringify(v, null, 2));
const argv = process.argv.slice(2);
const flag = name => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : undefined; };
const valuesFile = flag('--values');
const calls = read('calls.json', []);
calls.push({
  argv,
  values: valuesFile ? fs.readFileSync(valuesFile, 'utf8') : null,
  token: process.env.HELM_KUBETOKEN ?? null,
});
write('calls.json', calls);
// Positional arguments: skip flags and the values of flags that take one.
const takesValue = new Set(['--namespace', '-n', '--values', '-f', '--timeout', '--output', '-o',
  '--kube-apiserver', '--kube-ca-file', '--kubeconfig', '--kube-context']);
const pos = [];
for (let i = 0; i < argv.length; i++) {
  if (takesValue.has(argv[i])) i++;
  else if (!argv[i].startsWith('-')) pos.push(argv[i]);
}
const [cmd, name] = pos;
const ns = flag('--namespace') ?? 'default';
const key = ns + '/' + name;
const releases = read('releases.json', {});
const history = releases[key] ?? [];
const control = read('control.json', {});
const fail = control[cmd];
const die = (code, msg) => { process.stderr.write(msg + '\n'); process.exit(code); };
// Helm's user-supplied values: a deep merge of maps, anything else replaced.
const merge = (base, over) => {
  if (!base || typeof base !== 'object' || !over || typeof over !== 'object') return over;
  const out = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = merge(base[k], v);
  return out;
};
const lastDeployed = () => [...history].reverse().find(h => h.status === 'deployed');
const deploy = (values, description, config) => {
  for (const h of history) if (h.status === 'deployed') h.status = 'superseded';
  history.push({ revision: history.length + 1, status: 'deployed', values, config, description });
  releases[key] = history;
  write('releases.json', releases);
};
switch (cmd) {
  case 'history':
    if (fail) die(fail.exitCode, fail.stderr);
    if (!history.length) die(1, 'Error: release: not found');
    process.stdout.write(JSON.stringify(history.map(h => ({ revision: h.revision, status: h.status, description: h.description }))));
    break;
  case 'get': {
    // helm get values NAME -o json: the latest revision's user-supplied values.
    const [, sub, release] = pos;
    const revisions = releases[ns + '/' + release] ?? [];
    if (fail) die(fail.exitCode, fail.stderr);
    if (sub !== 'values') die(1, 'Error: unknown command "' + sub + '" for "helm get"');
    if (!revisions.length) die(1, 'Error: release: not found');
    process.stdout.write(JSON.stringify(revisions[revisions.length - 1].config ?? null) + '\n');
    break;
  }
  case 'upgrade': {
    if (!argv.includes('--install') && !history.length) die(1, 'Error: UPGRADE FAILED: "' + name + '" has no deployed releases');
    const values = valuesFile ? fs.readFileSync(valuesFile, 'utf8') : '';
    const supplied = YAML.parse(values) ?? {};
    const config = argv.includes('--reuse-values') ? merge(lastDeployed()?.config ?? {}, supplied) : supplied;
    process.stdout.write('Release "' + name + '" does not exist. Installing it now.\n');
    if (fail) {
      // Like Helm: the failed attempt is recorded as a revision with status failed.
      history.push({ revision: history.length + 1, status: 'failed', values, config, description: fail.stderr });
      releases[key] = history;
      write('releases.json', releases);
      die(fail.exitCode, fail.stderr);
    }
    deploy(values, history.length ? 'Upgrade complete' : 'Install complete', config);
    process.stdout.write('NAME: ' + name + '\nSTATUS: deployed\nREVISION: ' + history.length + '\n');
    break;
  }
  case 'rollback': {
    if (fail) die(fail.exitCode, fail.stderr);
    const target = history.find(h => h.revision === Number(pos[2]));
    if (!target) die(1, 'Error: release has no ' + pos[2] + ' version');
    deploy(target.values, 'Rollback to ' + pos[2], target.config);
    process.stdout.write('Rollback was a success! Happy Helming!\n');
    break;
  }
  case 'uninstall':
    if (fail) die(fail.exitCode, fail.stderr);
    if (!history.length) die(1, 'Error: uninstall: Release not loaded: ' + name + ': release: not found');
    delete releases[key];
    write('releases.json', releases);
    process.stdout.write('release "' + name + '" uninstalled\n');
    break;
  default:
    die(1, 'Error: unknown command "' + cmd + '" for "helm"');
}
`;

export interface FakeHelmCall {
  argv: string[];
  values: string | null;
  token: string | null;
}

export interface FakeHelm {
  binary: string;
  calls(): FakeHelmCall[];
  /** Subcommands run, e.g. ['history', 'upgrade', 'uninstall']. */
  commands(): string[];
  /** Subcommands run that change a release (everything but history and get). */
  mutatingCommands(): string[];
  /** Release records by "<namespace>/<name>". */
  releases(): Record<
    string,
    Array<{ revision: number; status: string; values: string; config: unknown }>
  >;
  /** Makes every later run of `subcommand` fail with this exit code and stderr. */
  failOn(
    subcommand: string,
    failure: { exitCode: number; stderr: string },
  ): void;
  clearFailures(): void;
  cleanup(): void;
}

export function createFakeHelm(): FakeHelm {
  const dir = mkdtempSync(path.join(tmpdir(), 'fake-helm-'));
  const binary = path.join(dir, 'helm');
  // The script runs from a temp directory: it loads the yaml package by its resolved path.
  const yamlModule = JSON.stringify(require.resolve('yaml'));
  writeFileSync(
    binary,
    `#!${process.execPath}\nconst YAML = require(${yamlModule});\n${SCRIPT}`,
  );
  chmodSync(binary, 0o755);
  const readJson = (f: string, d: any) =>
    existsSync(path.join(dir, f))
      ? JSON.parse(readFileSync(path.join(dir, f), 'utf8'))
      : d;
  const control: Record<string, unknown> = {};
  return {
    binary,
    calls: () => readJson('calls.json', []),
    commands: () =>
      readJson('calls.json', []).map((c: FakeHelmCall) => c.argv[0]),
    mutatingCommands: () =>
      readJson('calls.json', [])
        .map((c: FakeHelmCall) => c.argv[0])
        .filter((cmd: string) => !['history', 'get'].includes(cmd)),
    releases: () => readJson('releases.json', {}),
    failOn(subcommand, failure) {
      control[subcommand] = failure;
      writeFileSync(path.join(dir, 'control.json'), JSON.stringify(control));
    },
    clearFailures() {
      for (const k of Object.keys(control)) delete control[k];
      writeFileSync(path.join(dir, 'control.json'), '{}');
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
