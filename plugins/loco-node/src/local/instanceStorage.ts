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
    return this.mode === 'hybrid' ? path.join(this.environmentDir!, 'shared') : undefined;
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
   * base image. Normally a copy-on-write overlay that only ever reads the base;
   * when the image names a RAM snapshot, a full copy, because QEMU can only load
   * internal snapshots from the top image of a drive.
   */
  async prepareDisk(index: number, runDir: string, base: BaseImage): Promise<string> {
    const dir = this.instanceDir(index, runDir);
    await fs.mkdir(dir, { recursive: true });
    if (this.sharedDir) await fs.mkdir(this.sharedDir, { recursive: true });
    const disk = path.join(dir, 'disk.qcow2');
    const recordFile = path.join(dir, 'disk.json');
    const record = JSON.stringify({ tag: base.tag, base: base.path, snapshot: base.snapshot ?? null });
    const previous = await fs.readFile(recordFile, 'utf8').catch(() => null);
    const exists = await fs.stat(disk).then(() => true, () => false);
    if (exists && previous === record) return disk;
    await fs.rm(disk, { force: true });
    if (base.snapshot) {
      await execFileAsync('cp', ['--reflink=auto', '--sparse=always', base.path, disk]);
    } else {
      const { format } = await diskInfo(base.path);
      await execFileAsync('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', format, '-b', base.path, disk]);
    }
    await fs.writeFile(recordFile, record);
    return disk;
  }

  /** Removes one instance's kept state (scale-down of an ephemeral env, or destroy). */
  async removeInstance(index: number): Promise<void> {
    const dir = this.environmentDir;
    if (dir) await fs.rm(path.join(dir, String(index)), { recursive: true, force: true });
  }

  /** Removes everything the environment kept, shared directory included. */
  async removeAll(): Promise<void> {
    const dir = this.environmentDir;
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  }
}
