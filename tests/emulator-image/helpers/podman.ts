// Building and running the emulator image for real, with Debian's podman and
// no registry: the base image is made with debootstrap (see
// ../shared/notes/machine-facts.md, "Containers and an OCI registry without a
// Docker engine"). Everything lives under .cache/podman, so nothing global is
// touched and the base and the image's layers are reused between runs; the
// image is tagged by a hash of its inputs and rebuilt only when they change.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { REPO } from './vm.ts';

const CACHE = join(
  process.env.LOCO_CACHE_DIR ?? join(REPO, '.cache'),
  'podman',
);
const IMAGE_DIR = join(REPO, 'emulator-image');
const BASE = 'localhost/debian:bookworm';
const REPOSITORY = 'localhost/loco-emulator';
/** Changing the recipe below invalidates the cached base. */
const BASE_RECIPE = 'debootstrap --variant=minbase bookworm v1';

/** Private config files, so podman never reads or writes the host's. */
function podmanEnv(): Record<string, string> {
  const files = {
    'storage.conf': `[storage]\ndriver = "overlay"\ngraphroot = "${CACHE}/storage"\nrunroot = "${CACHE}/run"\n`,
    // crun fails here (cgroups in hybrid mode); root lacks CAP_SYS_RESOURCE,
    // so podman's default nofile limit is refused: set ones we may set.
    'containers.conf': `[containers]\ndefault_ulimits = ["nofile=16384:16384", "nproc=32768:32768"]\n[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n`,
    'registries.conf': 'unqualified-search-registries = []\n',
  };
  mkdirSync(join(CACHE, 'tmp'), { recursive: true });
  for (const [name, text] of Object.entries(files))
    writeFileSync(join(CACHE, name), text);
  return {
    CONTAINERS_STORAGE_CONF: join(CACHE, 'storage.conf'),
    CONTAINERS_CONF: join(CACHE, 'containers.conf'),
    CONTAINERS_REGISTRIES_CONF: join(CACHE, 'registries.conf'),
    TMPDIR: join(CACHE, 'tmp'),
  };
}

let env: Record<string, string> | undefined;

/** Runs podman with an argument array; throws with its stderr on failure. */
export function podman(
  args: string[],
  options: { allowFailure?: boolean; timeoutMs?: number } = {},
): SpawnSyncReturns<string> {
  env ??= podmanEnv();
  const result = spawnSync('podman', args, {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: options.timeoutMs ?? 900_000,
    maxBuffer: 64 * 2 ** 20,
  });
  if (result.status !== 0 && !options.allowFailure) {
    throw new Error(
      `podman ${args.join(' ')} failed (${result.status}):\n${result.stderr}`,
    );
  }
  return result;
}

function imageExists(ref: string): boolean {
  return podman(['image', 'exists', ref], { allowFailure: true }).status === 0;
}

/** A Debian bookworm base image made with debootstrap; its tarball is cached. */
function ensureBase(log: (line: string) => void): void {
  const tar = join(
    CACHE,
    `debian-bookworm-${hash([BASE_RECIPE]).slice(0, 12)}.tar`,
  );
  if (imageExists(BASE) && existsSync(tar)) return;
  if (!existsSync(tar)) {
    log('debootstrap: making a Debian bookworm base (no registry needed)');
    const rootfs = join(CACHE, 'rootfs');
    rmSync(rootfs, { recursive: true, force: true });
    run('debootstrap', [
      '--variant=minbase',
      'bookworm',
      rootfs,
      'http://deb.debian.org/debian',
    ]);
    rmSync(join(rootfs, 'etc/apt/sources.list'), { force: true });
    // Downloaded packages and package lists: the image's own apt-get update
    // fetches fresh ones.
    for (const dir of ['var/cache/apt/archives', 'var/lib/apt/lists'])
      for (const f of readdirSync(join(rootfs, dir)))
        if (statSync(join(rootfs, dir, f)).isFile() && f !== 'lock')
          rmSync(join(rootfs, dir, f), { force: true });
    writeFileSync(
      join(rootfs, 'etc/apt/sources.list.d/debian.sources'),
      [
        'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n',
        'Types: deb\nURIs: http://deb.debian.org/debian-security\nSuites: bookworm-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n',
      ].join('\n'),
    );
    run('tar', ['-C', rootfs, '--numeric-owner', '-cf', `${tar}.part`, '.']);
    run('mv', [`${tar}.part`, tar]);
    rmSync(rootfs, { recursive: true, force: true });
  }
  podman(['import', '--change', 'CMD ["bash"]', tar, BASE]);
}

/**
 * The emulator image of the current sources (the agent bundled by
 * emulator-image/build-agent.mjs, with the demo disk built in): built when
 * its inputs changed, else taken from the cache. Returns its reference.
 */
export function ensureImage(log: (line: string) => void): string {
  run(process.execPath, [join(IMAGE_DIR, 'build-agent.mjs')]);
  const inputs = [
    'Dockerfile',
    '.dockerignore',
    'dist/loco-agent.cjs',
    ...files(join(IMAGE_DIR, 'demo-disk')).map(f => relative(IMAGE_DIR, f)),
  ].sort();
  const tag = `${REPOSITORY}:${hash(
    inputs.map(
      f => `${f}\0${readFileSync(join(IMAGE_DIR, f)).toString('base64')}`,
    ),
  ).slice(0, 16)}`;
  if (imageExists(tag)) return tag;
  ensureBase(log);
  log(`building ${tag}`);
  podman([
    'build',
    // buildah 1.28 drops stages reached only through an ARG without this.
    '--skip-unused-stages=false',
    '--build-arg',
    `DEBIAN=${BASE}`,
    '--build-arg',
    'DEMO_DISK=builtin',
    '--tag',
    tag,
    IMAGE_DIR,
  ]);
  // Older builds of the image are of no use any more.
  for (const old of podman([
    'images',
    '--format',
    '{{.Repository}}:{{.Tag}}',
    REPOSITORY,
  ]).stdout.split('\n'))
    if (old && old !== tag)
      podman(['rmi', '--force', old], { allowFailure: true });
  podman(['image', 'prune', '--force'], { allowFailure: true });
  return tag;
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap(name => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

function hash(parts: string[]): string {
  return createHash('sha256').update(parts.join('\n')).digest('hex');
}

function run(program: string, args: string[]): void {
  const result = spawnSync(program, args, {
    encoding: 'utf8',
    timeout: 900_000,
  });
  if (result.status !== 0)
    throw new Error(`${program} failed (${result.status}):\n${result.stderr}`);
}
