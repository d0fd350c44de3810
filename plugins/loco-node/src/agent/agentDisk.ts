import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface DiskSpec {
  path: string;
  /** Create `path` as a qcow2 overlay on this base when missing (the image's built-in disk). */
  overlayOn: string | null;
}

export interface SnapshotSource {
  tag: string;
  registry: string;
  registryConfig: string | null;
}

/** One attempt's outcome: the disk is there, or why not (shown on /health). */
export type DiskAttempt = { ready: true } | { ready: false; reason: string };

/**
 * Makes sure the instance disk exists. The chart's init container
 * (chart/files/prepare-disk.sh) normally prepares it; this covers what it
 * could not (no oras there, a failed pull), so a pod never crash-loops on a
 * missing disk: the agent retries and says why on /health meanwhile.
 * `onDownload` is told when a pull starts (a long wait worth showing).
 */
export async function tryPrepareDisk(
  disk: DiskSpec,
  snapshot: SnapshotSource | null,
  onDownload: (what: string) => void,
  signal: AbortSignal,
  /** The oras program (tests use a stand-in). */
  oras = 'oras',
): Promise<DiskAttempt> {
  if (disk.overlayOn) {
    if (!(await nonEmpty(disk.path))) {
      if (!(await nonEmpty(disk.overlayOn))) {
        return {
          ready: false,
          reason: `LOCO_DISK is not set and this image has no built-in disk at ${disk.overlayOn}`,
        };
      }
      await createOverlay(disk.overlayOn, disk.path);
    }
    return { ready: true };
  }
  if (await nonEmpty(disk.path)) return { ready: true };
  if (!snapshot) {
    return {
      ready: false,
      reason: `no disk at ${disk.path}, and no snapshot to download (LOCO_SNAPSHOT_TAG and LOCO_SNAPSHOT_REGISTRY are needed)`,
    };
  }
  const ref = `${snapshot.registry}:${snapshot.tag}`;
  onDownload(`downloading snapshot ${ref}`);
  return pullSnapshot(disk.path, ref, snapshot.registryConfig, signal, oras);
}

/** `oras pull` into a temporary folder beside the disk, then one rename: never a half-written disk. */
async function pullSnapshot(
  diskPath: string,
  ref: string,
  registryConfig: string | null,
  signal: AbortSignal,
  oras: string,
): Promise<DiskAttempt> {
  const dir = path.dirname(diskPath);
  const tmp = await fs.mkdtemp(path.join(dir, '.prepare-')).catch(() => null);
  if (!tmp) return { ready: false, reason: `cannot write to ${dir}` };
  try {
    const args = ['pull', ref, '--output', tmp];
    if (registryConfig) args.push('--registry-config', registryConfig);
    const pulled = await run(oras, args, signal);
    if (pulled.notFound) {
      return {
        ready: false,
        reason: `no disk at ${diskPath} and cannot download snapshot ${ref}: oras is not installed in this image`,
      };
    }
    if (pulled.code !== 0) {
      return {
        ready: false,
        reason: `download of snapshot ${ref} failed: ${pulled.output
          .trim()
          .split('\n')
          .slice(-3)
          .join(' ')}`,
      };
    }
    const found = (await fs.readdir(tmp)).filter(f => f.endsWith('.qcow2'));
    if (found.length !== 1) {
      return {
        ready: false,
        reason: `snapshot ${ref} must contain exactly one *.qcow2 file`,
      };
    }
    await fs.rename(path.join(tmp, found[0]), diskPath);
    await fs.writeFile(
      path.join(dir, '.loco-disk-source'),
      `snapshot ${ref}\n`,
    );
    return { ready: true };
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

async function createOverlay(base: string, file: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await execFileAsync('qemu-img', [
    'create',
    '-q',
    '-f',
    'qcow2',
    '-b',
    base,
    '-F',
    'qcow2',
    file,
  ]);
}

async function nonEmpty(file: string): Promise<boolean> {
  const stat = await fs.stat(file).catch(() => null);
  return Boolean(stat && stat.size > 0);
}

function run(
  program: string,
  args: string[],
  signal: AbortSignal,
): Promise<{ code: number | null; output: string; notFound: boolean }> {
  return new Promise(resolve => {
    const child = spawn(program, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      signal,
    });
    let output = '';
    const keep = (d: Buffer) => {
      output = (output + d.toString()).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('error', (error: NodeJS.ErrnoException) =>
      resolve({
        code: null,
        output: error.message,
        notFound: error.code === 'ENOENT',
      }),
    );
    child.once('close', code => resolve({ code, output, notFound: false }));
  });
}
