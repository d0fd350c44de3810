import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  builtinFallbackNotice,
  snapshotPullFailedReason,
  type SnapshotFallback,
} from '@loco-portal/plugin-loco-common';
import { credentialsFromDockerConfig } from '../oci/dockerConfig';
import { parseRepository } from '../oci/reference';
import { RegistryClient } from '../oci/RegistryClient';
import { pullProgressReasons } from '../oci/pullProgress';
import { pullSnapshot } from '../oci/snapshotArtifact';

const execFileAsync = promisify(execFile);

export interface DiskSpec {
  path: string;
  /** Create `path` as a qcow2 overlay on this base when missing (the image's built-in disk). */
  overlayOn: string | null;
}

export interface SnapshotSource {
  tag: string;
  registry: string;
  /** A dockerconfigjson file with the registry's credentials (the chart's registryConfigSecret). */
  registryConfig: string | null;
  /** When the pull fails: boot the image's own disk (default), or stay down and say why. */
  fallback?: SnapshotFallback;
  /** The image's own disk, for the `builtin` fallback. */
  builtinDisk?: string;
}

/**
 * One attempt's outcome: the disk is there (with a notice when it is not
 * the one asked for), or why not (shown on /health).
 */
export type DiskAttempt =
  | { ready: true; notice?: string }
  | { ready: false; reason: string };

/** Beside the disk: where it came from (`snapshot REGISTRY:TAG`, `builtin-...`). */
const SOURCE_FILE = '.loco-disk-source';
/** The pull lands here (resumable across restarts), then is renamed to the disk. */
const PULL_FILE = '.loco-pull.qcow2';

/**
 * Makes sure the instance disk exists and is the snapshot asked for. The
 * chart's init container (chart/files/prepare-disk.sh) may have prepared it
 * already; a snapshot tag is pulled here with the OCI client (no oras), with
 * progress as health reasons (`pulling games 45 %`). A disk made from another
 * snapshot (the tag changed on update) is replaced, the previous one kept as
 * `<disk>.previous` (one generation, docs/storage-modes.md). When the pull
 * fails, `fallback` decides: `builtin` boots what is there (the existing
 * disk, else an overlay on the image's own disk), `fail` stays down with the
 * registry's reason and the agent retries.
 */
export async function tryPrepareDisk(
  disk: DiskSpec,
  snapshot: SnapshotSource | null,
  onProgress: (what: string) => void,
  signal: AbortSignal,
): Promise<DiskAttempt> {
  if (!snapshot) return withoutSnapshot(disk);
  const dir = path.dirname(disk.path);
  const ref = `${snapshot.registry}:${snapshot.tag}`;
  const wanted = `snapshot ${ref}`;
  const exists = await nonEmpty(disk.path);
  const source = exists ? await readSource(dir) : null;
  // A disk of unknown origin is kept: it may hold the only copy of a game state.
  if (exists && (source === wanted || source === null)) return { ready: true };

  try {
    await fs.mkdir(dir, { recursive: true });
    const progress = pullProgressReasons(snapshot.tag, onProgress);
    const client = await clientFor(snapshot);
    await pullSnapshot(client, snapshot.tag, path.join(dir, PULL_FILE), {
      signal,
      onProgress: progress,
    });
    if (exists) await fs.rename(disk.path, `${disk.path}.previous`);
    await fs.rename(path.join(dir, PULL_FILE), disk.path);
    await fs.writeFile(path.join(dir, SOURCE_FILE), `${wanted}\n`);
    return { ready: true };
  } catch (error) {
    if (signal.aborted) return { ready: false, reason: 'stopped' };
    const reason = snapshotPullFailedReason((error as Error).message);
    if (snapshot.fallback === 'fail') return { ready: false, reason };
    return fallBack(disk, snapshot, exists, source, reason);
  }
}

/** The `builtin` policy: what is there already, else the image's own disk. */
async function fallBack(
  disk: DiskSpec,
  snapshot: SnapshotSource,
  exists: boolean,
  source: string | null,
  reason: string,
): Promise<DiskAttempt> {
  if (exists) {
    return {
      ready: true,
      notice: `${reason}; running the disk that is there (${source})`,
    };
  }
  const builtin = disk.overlayOn ?? snapshot.builtinDisk;
  if (!builtin || !(await nonEmpty(builtin))) {
    return {
      ready: false,
      reason: `${reason}; and this image has no built-in disk${
        builtin ? ` at ${builtin}` : ''
      } to fall back on`,
    };
  }
  await createOverlay(builtin, disk.path);
  // Not a snapshot: the next start tries the pull again.
  await fs.writeFile(
    path.join(path.dirname(disk.path), SOURCE_FILE),
    `builtin-fallback ${builtin}\n`,
  );
  return {
    ready: true,
    notice: builtinFallbackNotice(reason),
  };
}

async function withoutSnapshot(disk: DiskSpec): Promise<DiskAttempt> {
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
  return {
    ready: false,
    reason: `no disk at ${disk.path}, and no snapshot to download (LOCO_SNAPSHOT_TAG and LOCO_SNAPSHOT_REGISTRY are needed)`,
  };
}

/** A client of the registry with the credentials its dockerconfigjson names (pulls and publishes). */
export async function clientFor(
  snapshot: Pick<SnapshotSource, 'registry' | 'registryConfig'>,
): Promise<RegistryClient> {
  const repository = parseRepository(snapshot.registry);
  const credentials = snapshot.registryConfig
    ? await credentialsFromDockerConfig(
        snapshot.registryConfig,
        repository.host,
      )
    : undefined;
  return new RegistryClient(repository, { credentials });
}

async function readSource(dir: string): Promise<string | null> {
  const text = await fs
    .readFile(path.join(dir, SOURCE_FILE), 'utf8')
    .catch(() => null);
  return text?.trim() || null;
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
