import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const REPO = path.resolve(__dirname, '../../../..');

let helmRender: string | undefined;

/**
 * tools/helm-render (the project's `helm template` work-alike, also used by
 * tests/chart), built once per process; the build script is idempotent.
 */
function helmRenderBinary(): string {
  if (helmRender) return helmRender;
  const build = spawnSync(
    'sh',
    [path.join(REPO, 'tools/helm-render/build.sh')],
    {
      encoding: 'utf8',
    },
  );
  if (build.status !== 0) {
    throw new Error(
      `building helm-render failed:\n${build.stdout}${build.stderr}`,
    );
  }
  const cache = process.env.LOCO_CACHE_DIR ?? path.join(REPO, '.cache');
  helmRender = path.join(cache, 'bin', 'helm-render');
  return helmRender;
}

export interface FakeHelmCall {
  argv: string[];
  /** The text of the --values file, when there was one. */
  values: string | null;
  /** HELM_KUBETOKEN as the process saw it. */
  token: string | null;
}

/** One release record (one revision), as the fake keeps it. */
export interface FakeHelmRevision {
  revision: number;
  /** deployed, superseded, failed, pending-install, pending-upgrade, pending-rollback */
  status: string;
  description: string;
  /** Text of the values file of this revision. */
  values: string;
  /** The user-supplied values (what `helm get values` answers). */
  config: unknown;
  /** The values the chart contributed (its values.yaml, or the old ones with --reuse-values). */
  chartValues: unknown;
  /** The rendered manifest. */
  manifest: string;
  chart: string;
}

export interface FakeHelm {
  binary: string;
  calls(): FakeHelmCall[];
  /** Subcommands run, e.g. ['history', 'upgrade', 'uninstall']. */
  commands(): string[];
  /** Subcommands run that change a release (everything but history and get). */
  mutatingCommands(): string[];
  /** Release records by "<namespace>/<name>". */
  releases(): Record<string, FakeHelmRevision[]>;
  /** Namespaces that exist ("default", and each one `--create-namespace` made). */
  namespaces(): string[];
  /**
   * Makes every later run of `subcommand` fail with this exit code and stderr:
   * history and get fail before anything (an unreachable cluster); upgrade and
   * rollback fail while applying, and their new revision is recorded failed.
   */
  failOn(
    subcommand: string,
    failure: { exitCode: number; stderr: string },
  ): void;
  clearFailures(): void;
  /**
   * Later upgrades/rollbacks (`subcommand`) stop while applying, their record
   * pending (pending-install, pending-upgrade, pending-rollback), until
   * letGo(subcommand) or a signal: SIGTERM is helm's own cancellation (the
   * release ends failed), SIGKILL leaves it pending.
   */
  holdOn(subcommand: string): void;
  letGo(subcommand: string): void;
  /** Waits until `count` processes are held; returns their pids and releases. */
  held(
    count?: number,
  ): Promise<Array<{ pid: number; command: string; releaseKey: string }>>;
  cleanup(): void;
}

/**
 * Test double for the `helm` executable, as strict as helm 3 where our code
 * depends on it: a Node script (fakeHelm/main.cjs) written to a temp directory
 * and given to the code under test as `loco.helm.binary`. It parses flags
 * like helm (unknown ones fail), keeps release records with helm's states,
 * answers with helm's texts and exit codes, validates values against the
 * chart's values.schema.json and renders the chart, so a change the chart
 * would refuse fails here too. It records every call. See fakeHelm/*.cjs for
 * each behaviour and the helm source it follows.
 */
export function createFakeHelm(): FakeHelm {
  const dir = mkdtempSync(path.join(tmpdir(), 'fake-helm-'));
  const binary = path.join(dir, 'helm');
  const main = path.join(__dirname, 'fakeHelm', 'main.cjs');
  const paths = JSON.stringify({
    yaml: require.resolve('yaml'),
    ajv: require.resolve('ajv'),
    helmRender: helmRenderBinary(),
  });
  // Node's compile cache: the fake runs dozens of times per test file.
  writeFileSync(
    binary,
    `#!${
      process.execPath
    }\nrequire('node:module').enableCompileCache?.();\nrequire(${JSON.stringify(
      main,
    )}).main(__dirname, ${paths});\n`,
  );
  chmodSync(binary, 0o755);
  const readJson = (f: string, d: any) =>
    existsSync(path.join(dir, f))
      ? JSON.parse(readFileSync(path.join(dir, f), 'utf8'))
      : d;
  const control: { failures: Record<string, unknown>; hold: string[] } = {
    failures: {},
    hold: [],
  };
  const saveControl = () =>
    writeFileSync(path.join(dir, 'control.json'), JSON.stringify(control));
  const commands = () =>
    readJson('calls.json', []).map((c: FakeHelmCall) => c.argv[0]);
  return {
    binary,
    calls: () => readJson('calls.json', []),
    commands,
    mutatingCommands: () =>
      commands().filter((c: string) => !['history', 'get'].includes(c)),
    releases: () => readJson('releases.json', {}),
    namespaces: () => readJson('namespaces.json', ['default']),
    failOn(subcommand, failure) {
      control.failures[subcommand] = failure;
      saveControl();
    },
    clearFailures() {
      control.failures = {};
      saveControl();
    },
    holdOn(subcommand) {
      control.hold = [...new Set([...control.hold, subcommand])];
      saveControl();
    },
    letGo(subcommand) {
      control.hold = control.hold.filter(c => c !== subcommand);
      saveControl();
    },
    async held(count = 1) {
      const deadline = Date.now() + 30_000;
      for (;;) {
        if (Date.now() > deadline) {
          throw new Error(
            `fake helm: ${count} held process(es) expected, none came`,
          );
        }
        const files = readdirSync(dir).filter(f => /^held-\d+\.json$/.test(f));
        if (files.length >= count) {
          return files.map(f => ({
            pid: Number(/\d+/.exec(f)![0]),
            ...readJson(f, {}),
          }));
        }
        await new Promise(resolve => setTimeout(resolve, 20));
      }
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
