// A Backstage app made by Backstage's own generator, installed with npm the
// way this repository is (Yarn 4 cannot install against this machine's
// registry), cached under .cache/real-app/<create-app version>/ (or
// $LOCO_REAL_APP_CACHE/<version>/, to try a cold cache beside a warm one):
//   tools/     @backstage/create-app itself
//   pristine/  the generated app, npm-installed (made once per version)
//   run/       a copy of pristine that a test installs our tarballs into
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, run, type PackedWorkspace } from './packWorkspaces.ts';

/** The generator of Backstage 1.55.0, the release in our backstage.json. */
export const CREATE_APP_VERSION = '0.9.2';
export const CACHE = path.join(
  process.env.LOCO_REAL_APP_CACHE ?? path.join(ROOT, '.cache/real-app'),
  CREATE_APP_VERSION,
);

/**
 * npm's environment for the app: native modules (better-sqlite3) built
 * against the headers of the Node that runs the app, which is the one
 * running this test (the machine's npm is set to build for its own, older
 * Node; scripts/lib/env.sh does the same for our own install).
 */
export const NPM_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  npm_config_nodedir: path.dirname(path.dirname(process.execPath)),
};

const readJson = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8'));
const writeJson = (file: string, value: unknown) =>
  fs.writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);

/**
 * Installs the generator (npm, no lock) unless it is there already, with
 * Yarn 1: the generator refuses to start without a `yarn` on PATH, even when
 * told to skip the install (it never runs it then).
 */
function createAppTool(): string {
  const tools = path.join(CACHE, 'tools');
  const bin = path.join(
    tools,
    'node_modules/@backstage/create-app/bin/backstage-create-app',
  );
  if (
    !fs.existsSync(bin) ||
    !fs.existsSync(path.join(tools, 'node_modules/.bin/yarn'))
  ) {
    fs.mkdirSync(tools, { recursive: true });
    run('npm', [
      'install',
      '--prefix',
      tools,
      '--no-save',
      '--no-package-lock',
      '--no-audit',
      '--no-fund',
      `@backstage/create-app@${CREATE_APP_VERSION}`,
      'yarn@1.22.22',
    ]);
  }
  return bin;
}

/**
 * The Backstage versions this repository installs (its lock's top-level
 * @backstage packages), which are the versions of the release the generator
 * belongs to: the app gets the same ones, not whatever newer version of a
 * transitive package the registry has (and the mirror may lack).
 */
function releasePins(): Record<string, string> {
  const packages = readJson(path.join(ROOT, 'package-lock.json')).packages;
  const pins: Record<string, string> = {};
  for (const [key, entry] of Object.entries<any>(packages)) {
    const match = /^node_modules\/(@backstage\/[^/]+)$/.exec(key);
    if (match && entry.version) pins[match[1]] = entry.version;
  }
  return pins;
}

/**
 * When the newest package of that release reached the registry. The app's
 * other dependencies (the search or Kubernetes modules our lock does not
 * hold) are resolved as of then: a later patch of one may need a newer
 * @backstage/backend-plugin-api than the release's, which the pins forbid
 * (seen: plugin-search-backend-module-pg 0.5.61 calling a resolvePackagePath
 * form that 1.55's backend-plugin-api lacks, so the backend would not start).
 */
function releaseDate(pins: Record<string, string>): string {
  let newest = '';
  for (const [name, version] of Object.entries(pins)) {
    const times = JSON.parse(run('npm', ['view', name, 'time', '--json']));
    if (times[version] > newest) newest = times[version];
  }
  if (!newest) throw new Error('the registry gave no publish times');
  return newest;
}

/**
 * What our own root needs for npm (machine-facts): our overrides (React 18,
 * got without its `patch:` dependency), release pins, `allowScripts`, and
 * `legacy-peer-deps`; workspace references as `*` (npm has no `link:`), no
 * Yarn-only fields.
 */
function adaptForNpm(app: string) {
  const ours = readJson(path.join(ROOT, 'package.json'));
  const pins = releasePins();
  const manifests = ['.', 'packages/app', 'packages/backend'].map(d =>
    path.join(app, d, 'package.json'),
  );
  for (const file of manifests) {
    const pkg = readJson(file);
    for (const field of ['dependencies', 'devDependencies']) {
      for (const name of Object.keys(pkg[field] ?? {})) {
        if (pins[name]) pkg[field][name] = pins[name];
        if (/^(link|workspace):/.test(pkg[field][name])) pkg[field][name] = '*';
      }
    }
    if (file === manifests[0]) {
      delete pkg.packageManager;
      delete pkg.resolutions;
      pkg.overrides = { ...ours.overrides, ...pins };
      pkg.allowScripts = ours.allowScripts;
    }
    writeJson(file, pkg);
  }
  fs.writeFileSync(path.join(app, '.npmrc'), 'legacy-peer-deps=true\n');
  // npm would take the generator's seed yarn.lock (Backstage master's
  // versions) as resolution hints; the pins above decide instead.
  fs.rmSync(path.join(app, 'yarn.lock'), { force: true });
}

/** The generated, npm-installed app; made in a scratch folder and renamed when complete. */
export function pristineApp(): string {
  const pristine = path.join(CACHE, 'pristine');
  if (fs.existsSync(path.join(pristine, 'node_modules/.package-lock.json')))
    return pristine;
  const bin = createAppTool();
  const scratch = path.join(CACHE, 'pristine.partial');
  fs.rmSync(scratch, { recursive: true, force: true });
  fs.rmSync(pristine, { recursive: true, force: true });
  fs.mkdirSync(scratch, { recursive: true });
  // Non-interactive: the name from BACKSTAGE_APP_NAME, no Yarn install.
  run(process.execPath, [bin, '--path', scratch, '--skip-install'], {
    cwd: CACHE,
    env: {
      ...process.env,
      BACKSTAGE_APP_NAME: 'fresh-app',
      PATH: `${path.join(CACHE, 'tools/node_modules/.bin')}:${
        process.env.PATH
      }`,
    },
  });
  adaptForNpm(scratch);
  run(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--before',
      releaseDate(releasePins()),
    ],
    { cwd: scratch, env: NPM_ENV },
  );
  fs.renameSync(scratch, pristine);
  return pristine;
}

/** Hash of the tarballs and of what the wiring is read from. */
export function installKey(packed: PackedWorkspace[], inputs: string[]) {
  const hash = createHash('sha256');
  for (const p of packed) hash.update(fs.readFileSync(p.tarball));
  for (const file of inputs) hash.update(file).update(fs.readFileSync(file));
  return hash.digest('hex');
}

/**
 * A fresh copy of the pristine app, unless the copy holds an install made
 * with the same key (same tarballs, same READMEs): then it is reused as is.
 */
export function runApp(key: string): { dir: string; reused: boolean } {
  const pristine = pristineApp();
  const dir = path.join(CACHE, 'run');
  const stamp = path.join(dir, '.loco-install-key');
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === key)
    return { dir, reused: true };
  fs.rmSync(dir, { recursive: true, force: true });
  run('cp', ['-a', pristine, dir]);
  return { dir, reused: false };
}

/** Marks the run copy as installed and wired for `key`. */
export function markInstalled(dir: string, key: string) {
  fs.writeFileSync(path.join(dir, '.loco-install-key'), key);
}

/**
 * Our tarballs as the registry would serve them: copied into the app, and
 * every @loco-portal package an installed one depends on resolved to its
 * tarball (root `overrides`), since they are not published.
 */
export function offerTarballs(
  dir: string,
  packed: PackedWorkspace[],
): Map<string, string> {
  const local = path.join(dir, '.tarballs');
  fs.mkdirSync(local, { recursive: true });
  const tarballs = new Map<string, string>();
  const pkgFile = path.join(dir, 'package.json');
  const pkg = readJson(pkgFile);
  for (const p of packed) {
    const copy = path.join(local, path.basename(p.tarball));
    fs.copyFileSync(p.tarball, copy);
    tarballs.set(p.name, copy);
    // Absolute: npm has read relative override paths from the dependent's folder.
    pkg.overrides[p.name] = `file:${copy}`;
  }
  writeJson(pkgFile, pkg);
  return tarballs;
}
