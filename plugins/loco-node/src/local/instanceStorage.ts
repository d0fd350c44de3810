import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { StorageMode } from '@loco-portal/plugin-loco-common';
import { diskInfo } from './diskImages';

const execFileAsync = promisify(execFile);

export interface StorageRoots {
  /** `loco.local.stateDir`: persistent and hybrid environments live here. */
  stateDir: string;
  /** `loco.local.hostPath`: hostpath environments live here. */
  hostPath?: string;
  /** How hybrid environments show their shared folder (default rw). */
  sharedDirMode?: 'rw' | 'ro';
}

export interface BaseImage {
  tag: string;
  path: string;
  snapshot?: string;
}

/** What a disk was made from, kept beside it in `disk.json`. */
interface DiskRecord {
  tag: string;
  base: string;
  snapshot: string | null;
  baseSize: number;
  baseModifiedMs: number;
}

export interface PreparedDisk {
  path: string;
  /** Set when an existing disk was set aside for a new one: why, and where it went. */
  replaced?: { because: string; keptAs: string };
}

/** Why a disk made from `before` does not fit `after`; null when it does. */
function describeChange(
  before: Partial<DiskRecord> | null,
  after: DiskRecord,
): string | null {
  if (!before) return 'it has no record of its base image';
  if (before.tag !== after.tag)
    return `the snapshot tag changed from ${before.tag} to ${after.tag}`;
  if (before.base !== after.base || before.snapshot !== after.snapshot)
    return 'the image behind its tag changed';
  if (
    before.baseSize !== after.baseSize ||
    before.baseModifiedMs !== after.baseModifiedMs
  ) {
    return `its base image ${after.base} was rebuilt or replaced`;
  }
  return null;
}

/**
 * Where the state of an environment lives, by storage mode (same names as the
 * Helm chart; see docs/storage-modes.md):
 * - ephemeral: nothing outside the run directory, which goes when the instance stops;
 * - persistent / hybrid: `<stateDir>/environments/<env>/<index>/`;
 * - hostpath: `<hostPath>/<env>/<index>/`;
 * - hybrid also shares `<stateDir>/environments/<env>/shared/` with every instance.
 */
export class EnvironmentStorage {
  constructor(
    readonly environment: string,
    readonly mode: StorageMode,
    private readonly roots: StorageRoots,
  ) {
    if (mode === 'hostpath' && !roots.hostPath) {
      throw new Error('storageMode hostpath needs loco.local.hostPath');
    }
  }

  /** The environment's own folder, or null for ephemeral environments. */
  get environmentDir(): string | null {
    switch (this.mode) {
      case 'ephemeral':
        return null;
      case 'hostpath':
        return path.join(this.roots.hostPath!, this.environment);
      default:
        return path.join(this.roots.stateDir, 'environments', this.environment);
    }
  }

  /** The host directory the guests share (hybrid only). */
  get sharedDir(): string | undefined {
    return this.mode === 'hybrid'
      ? path.join(this.environmentDir!, 'shared')
      : undefined;
  }

  get sharedDirMode(): 'rw' | 'ro' {
    return this.roots.sharedDirMode ?? 'rw';
  }

  /** RAM snapshots are impossible while a read-write vvfat disk is attached. */
  get snapshotsPossible(): boolean {
    return this.mode !== 'hybrid' || this.sharedDirMode === 'ro';
  }

  instanceDir(index: number, runDir: string): string {
    const dir = this.environmentDir;
    return dir ? path.join(dir, String(index)) : runDir;
  }

  /**
   * The instance's disk, created when missing or when it was made from another
   * base image (another tag, or the same file rebuilt: an overlay over a changed
   * base reads garbage). Normally a copy-on-write overlay that only ever reads
   * the base; when the image names a RAM snapshot, a full copy, because QEMU can
   * only load internal snapshots from the top image of a drive. A disk that is
   * replaced is kept as `disk.previous.qcow2` (one generation), never deleted
   * unseen.
   */
  async prepareDisk(
    index: number,
    runDir: string,
    base: BaseImage,
  ): Promise<PreparedDisk> {
    const dir = this.instanceDir(index, runDir);
    await fs.mkdir(dir, { recursive: true });
    if (this.sharedDir) await fs.mkdir(this.sharedDir, { recursive: true });
    const disk = path.join(dir, 'disk.qcow2');
    const recordFile = path.join(dir, 'disk.json');
    const baseStat = await fs.stat(base.path);
    const record: DiskRecord = {
      tag: base.tag,
      base: base.path,
      snapshot: base.snapshot ?? null,
      baseSize: baseStat.size,
      baseModifiedMs: Math.round(baseStat.mtimeMs),
    };
    const previous = await fs.readFile(recordFile, 'utf8').then(
      text => JSON.parse(text) as Partial<DiskRecord>,
      () => null,
    );
    const exists = await fs.stat(disk).then(
      () => true,
      () => false,
    );
    const change = exists ? describeChange(previous, record) : null;
    if (exists && change === null) return { path: disk };
    const keptAs = path.join(dir, 'disk.previous.qcow2');
    if (exists) await fs.rename(disk, keptAs);
    if (base.snapshot) {
      await execFileAsync('cp', [
        '--reflink=auto',
        '--sparse=always',
        base.path,
        disk,
      ]);
    } else {
      const { format } = await diskInfo(base.path);
      await execFileAsync('qemu-img', [
        'create',
        '-q',
        '-f',
        'qcow2',
        '-F',
        format,
        '-b',
        base.path,
        disk,
      ]);
    }
    await fs.writeFile(recordFile, JSON.stringify(record));
    return {
      path: disk,
      replaced: change ? { because: change, keptAs } : undefined,
    };
  }

  /** Removes one instance's kept state (scale-down of an ephemeral env, or destroy). */
  async removeInstance(index: number): Promise<void> {
    const dir = this.environmentDir;
    if (dir)
      await fs.rm(path.join(dir, String(index)), {
        recursive: true,
        force: true,
      });
  }

  /** Removes everything the environment kept, shared directory included. */
  async removeAll(): Promise<void> {
    const dir = this.environmentDir;
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  }
}
