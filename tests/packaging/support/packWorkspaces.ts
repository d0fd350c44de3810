import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../../..');

/**
 * Scratch space inside the repository's node_modules: Node and tsc resolve
 * third-party packages from there by walking up to the root node_modules,
 * and git, prettier and eslint leave node_modules alone.
 */
export const WORK = path.join(ROOT, 'node_modules/.cache/loco-packaging');

export interface Workspace {
  /** Folder relative to the repository root, e.g. plugins/loco-backend. */
  dir: string;
  name: string;
  role: string;
}

export interface PackedWorkspace extends Workspace {
  tarball: string;
}

/** Every publishable (non-private) workspace under plugins/. */
export function publishableWorkspaces(): Workspace[] {
  const plugins = path.join(ROOT, 'plugins');
  return fs
    .readdirSync(plugins)
    .filter(d => fs.existsSync(path.join(plugins, d, 'package.json')))
    .map(d => {
      const pkg = JSON.parse(
        fs.readFileSync(path.join(plugins, d, 'package.json'), 'utf8'),
      );
      return {
        dir: `plugins/${d}`,
        name: pkg.name as string,
        role: pkg.backstage?.role as string,
        private: pkg.private === true,
      };
    })
    .filter(w => !w.private)
    .map(({ dir, name, role }) => ({ dir, name, role }));
}

/** Runs a program (argument array, no shell) and fails with its output. */
export function run(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): string {
  const result = spawnSync(command, args, {
    cwd: options.cwd ?? ROOT,
    env: options.env ?? process.env,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} exited ${result.status}:\n${
        result.stdout
      }\n${result.stderr}`,
    );
  }
  return result.stdout;
}

/**
 * Like run, without blocking the event loop: for commands that talk to a
 * server in this same process (the local registry).
 */
export function runAsync(
  command: string,
  args: string[],
  options: { cwd?: string } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', d => (out += d));
    child.stderr.on('data', d => (out += d));
    child.once('error', reject);
    child.once('exit', code =>
      code === 0
        ? resolve(out)
        : reject(
            new Error(`${command} ${args.join(' ')} exited ${code}:\n${out}`),
          ),
    );
  });
}

/**
 * What a maintainer does before publishing: declarations for the whole repo
 * (backstage-cli bundles them from dist-types/), `backstage-cli package build`
 * in every package, then `npm pack --workspace`, which runs each package's
 * prepack/postpack (backstage-cli rewrites package.json to point at dist/).
 */
export function buildAndPack(workspaces: Workspace[]): PackedWorkspace[] {
  // Type errors are the tsc check's to report (npm test runs it); tsc still
  // writes the declarations, and a package whose declarations are missing
  // fails its build below.
  spawnSync('npx', ['tsc'], { cwd: ROOT, stdio: 'ignore' });
  for (const w of workspaces) {
    run('npx', ['backstage-cli', 'package', 'build'], {
      cwd: path.join(ROOT, w.dir),
    });
  }
  const destination = path.join(WORK, 'tarballs');
  fs.rmSync(destination, { recursive: true, force: true });
  fs.mkdirSync(destination, { recursive: true });
  const out = run('npm', [
    'pack',
    '--json',
    '--pack-destination',
    destination,
    ...workspaces.flatMap(w => ['--workspace', w.dir]),
  ]);
  // Lifecycle scripts may print before npm's JSON: it is the last array.
  const packed: { name: string; filename: string }[] = JSON.parse(
    out.slice(out.lastIndexOf('\n[') + 1),
  );
  return workspaces.map(w => {
    const entry = packed.find(p => p.name === w.name);
    if (!entry) throw new Error(`npm pack did not pack ${w.name}`);
    return { ...w, tarball: path.join(destination, entry.filename) };
  });
}

/** Hash of everything a pack is made from (a workspace's files but its build output). */
function sourcesHash(workspaces: Workspace[]): string {
  const hash = createHash('sha256');
  const walk = (dir: string) => {
    for (const entry of fs
      .readdirSync(dir, { withFileTypes: true })
      .sort((a, b) => a.name.localeCompare(b.name))) {
      if (['node_modules', 'dist', 'build'].includes(entry.name)) continue;
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else hash.update(file).update(fs.readFileSync(file));
    }
  };
  workspaces.forEach(w => walk(path.join(ROOT, w.dir)));
  hash.update(fs.readFileSync(path.join(ROOT, 'package.json')));
  return hash.digest('hex');
}

/**
 * buildAndPack, reused while nothing it is made from changed, so the suites
 * that need the tarballs pay for one pack per change.
 */
export function packedOnce(workspaces: Workspace[]): PackedWorkspace[] {
  const stamp = path.join(WORK, 'tarballs.json');
  const key = sourcesHash(workspaces);
  if (fs.existsSync(stamp)) {
    const saved = JSON.parse(fs.readFileSync(stamp, 'utf8'));
    if (
      saved.key === key &&
      saved.packed.every((p: PackedWorkspace) => fs.existsSync(p.tarball))
    ) {
      return saved.packed;
    }
  }
  const packed = buildAndPack(workspaces);
  fs.writeFileSync(stamp, JSON.stringify({ key, packed }));
  return packed;
}

/**
 * Unpacks each tarball as node_modules/<name> of one scratch project, the
 * layout npm gives an app that installs them (dependencies other than these
 * resolve from the repository's node_modules further up).
 */
export function unpackAsInstalled(packed: PackedWorkspace[]): string {
  const project = path.join(WORK, 'consumer');
  fs.rmSync(project, { recursive: true, force: true });
  for (const p of packed) {
    const target = path.join(project, 'node_modules', p.name);
    fs.mkdirSync(target, { recursive: true });
    run('tar', ['-xzf', p.tarball, '-C', target, '--strip-components=1']);
  }
  return project;
}

/** Files in a tarball, without the leading `package/`. */
export function tarballFiles(tarball: string): string[] {
  return run('tar', ['-tzf', tarball])
    .split('\n')
    .filter(Boolean)
    .map(f => f.replace(/^package\//, ''));
}
