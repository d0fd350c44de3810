import fs from 'node:fs/promises';
import path from 'node:path';
import { ConflictError } from '@backstage/errors';
import { diskInfo } from './diskImages';
import type { QmpClient } from './QmpClient';

/** The RAM snapshot saved after an instance's first cold boot (unless its image brings one). */
export const BOOT_SNAPSHOT = 'loco-booted';

/** The user's own save point; starts prefer it over the boot snapshot. */
export const SAVED_SNAPSHOT = 'loco-saved';

export interface InstanceControlsOptions {
  name: string;
  diskPath: string;
  runDir: string;
  /** The environment's snapshot: reset returns to it, starts resume from it. */
  bootSnapshot: string;
  /** False when the instance has a disk QEMU cannot snapshot (hybrid's shared vvfat disk). */
  snapshotsPossible: boolean;
  /** The running QEMU's QMP connection, if there is one. */
  qmp: () => QmpClient | undefined;
}

/**
 * What one instance does through QMP on the user's behalf (the API's instance
 * actions): RAM snapshots kept inside its own qcow2 disk (save, reset to the
 * boot snapshot, which one a start resumes from), screenshots, and raw QMP
 * commands on the one QMP connection QEMU serves.
 */
export class InstanceControls {
  constructor(private readonly o: InstanceControlsOptions) {}

  /** Runs a QMP command on the instance's own connection (QEMU serves one QMP client). */
  execute<T = unknown>(
    command: string,
    args?: Record<string, unknown>,
    timeoutMs?: number,
  ): Promise<T> {
    const qmp = this.o.qmp();
    if (!qmp)
      return Promise.reject(
        new ConflictError(
          `${this.o.name} is not running (or not answering yet)`,
        ),
      );
    return qmp.execute<T>(command, args, timeoutMs);
  }

  /** A PNG of the current screen, taken by QEMU itself. */
  async screenshot(): Promise<Buffer> {
    const file = path.join(
      this.o.runDir,
      `shot-${process.hrtime.bigint()}.png`,
    );
    try {
      await this.execute('screendump', { filename: file, format: 'png' });
      return await fs.readFile(file);
    } finally {
      await fs.rm(file, { force: true });
    }
  }

  /** Saves the running state as the user's save point. */
  async save(): Promise<void> {
    if (!this.o.snapshotsPossible) {
      throw new ConflictError(
        `${this.o.name} cannot be snapshotted: QEMU refuses savevm with a shared read-write folder (hybrid)`,
      );
    }
    await this.monitor(`savevm ${SAVED_SNAPSHOT}`);
  }

  /** Saves the boot snapshot (after a cold boot settled). */
  async saveBootSnapshot(): Promise<void> {
    await this.monitor(`savevm ${this.o.bootSnapshot}`);
  }

  /** Back to the user's save point (see {@link save}). */
  async restore(): Promise<void> {
    if (!(await this.available()).includes(SAVED_SNAPSHOT)) {
      throw new ConflictError(
        `${this.o.name} has no saved state yet: save one first`,
      );
    }
    await this.monitor(`loadvm ${SAVED_SNAPSHOT}`);
  }

  /** Back to the environment's snapshot; without one, a hardware reset (cold reboot). */
  async reset(): Promise<void> {
    if ((await this.available()).includes(this.o.bootSnapshot)) {
      await this.monitor(`loadvm ${this.o.bootSnapshot}`);
      return;
    }
    await this.execute('system_reset');
  }

  /** The snapshot the next start resumes from, if the disk holds one: the user's save point first. */
  async resumePoint(): Promise<string | undefined> {
    const available = await this.available();
    return [SAVED_SNAPSHOT, this.o.bootSnapshot].find(s =>
      available.includes(s),
    );
  }

  private async available(): Promise<string[]> {
    if (!this.o.snapshotsPossible) return [];
    const disk = await diskInfo(this.o.diskPath).catch(() => null);
    return disk?.snapshots ?? [];
  }

  private async monitor(commandLine: string): Promise<string> {
    // savevm/loadvm move ~100 MB of RAM state: far slower than ordinary commands.
    const out = await this.execute<string>(
      'human-monitor-command',
      { 'command-line': commandLine },
      120_000,
    );
    if (/^Error/m.test(out))
      throw new ConflictError(`${this.o.name}: ${commandLine}: ${out.trim()}`);
    return out;
  }
}
