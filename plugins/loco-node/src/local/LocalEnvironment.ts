import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { LoggerService } from '@backstage/backend-plugin-api';
import {
  LocoEnvironment,
  StorageMode,
  summarizeStates,
} from '@loco-portal/plugin-loco-common';
import { deriveInstanceHealth } from '../health/deriveInstanceHealth';
import { LocalInstance } from './LocalInstance';
import { instanceMac, lanEndpoint } from './lanAddress';
import { multicastNetdev } from './qemuArgs';

const execFileAsync = promisify(execFile);

export interface LocalEnvironmentOptions {
  name: string;
  instances: number;
  storageMode: StorageMode;
  owner?: string;
  snapshotTag?: string;
  baseImage: string;
  stateDir: string;
  runRoot: string;
  qemuBinary: string;
  memoryMb: number;
  vga: string;
  logger: LoggerService;
}

/** The instances of one local environment, their disks and their LAN. */
export class LocalEnvironment {
  private readonly instances: LocalInstance[] = [];

  constructor(private readonly options: LocalEnvironmentOptions) {}

  get name(): string {
    return this.options.name;
  }

  instance(index: number): LocalInstance | undefined {
    return this.instances[index];
  }

  async start(): Promise<void> {
    const { name, instances: count } = this.options;
    const lan = lanEndpoint(name);
    for (let index = 0; index < count; index++) {
      const runDir = path.join(this.options.runRoot, `${name}-${index}`);
      await fs.rm(runDir, { recursive: true, force: true });
      await fs.mkdir(runDir, { recursive: true });
      const diskPath = await this.prepareDisk(index, runDir);
      this.instances.push(
        new LocalInstance({
          qemuBinary: this.options.qemuBinary,
          logger: this.options.logger,
          launch: {
            environment: name,
            name: `${name}-${index}`,
            index,
            count,
            diskPath,
            runDir,
            memoryMb: this.options.memoryMb,
            vga: this.options.vga,
            accel: 'tcg',
            netdev: multicastNetdev(lan.group, lan.port),
            mac: instanceMac(name, index),
            extraArgs: [],
          },
        }),
      );
    }
    await Promise.all(this.instances.map(i => i.start()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.instances.map(i => i.stop()));
    await Promise.all(
      this.instances.map(i => fs.rm(i.runDir, { recursive: true, force: true })),
    );
  }

  /** Stops the instances and removes everything the environment kept on disk. */
  async destroy(): Promise<void> {
    await this.stop();
    await fs.rm(this.persistentDir(), { recursive: true, force: true });
  }

  describe(now: Date): LocoEnvironment {
    const instances = this.instances.map((instance, index) => {
      const health = deriveInstanceHealth(instance.facts(), now, {
        intendedRunning: instance.intendedRunning,
      });
      return { index, name: instance.name, state: health.state, health };
    });
    return {
      name: this.options.name,
      runtime: 'local',
      location: 'local',
      owner: this.options.owner ?? null,
      storageMode: this.options.storageMode,
      snapshotTag: this.options.snapshotTag ?? null,
      desiredInstances: this.options.instances,
      instances,
      summary: summarizeStates(instances.map(i => i.state)),
    };
  }

  private persistentDir(): string {
    return path.join(this.options.stateDir, 'environments', this.options.name);
  }

  /**
   * Each instance runs on its own copy-on-write overlay; the base image is only
   * ever read. Ephemeral overlays live in the run directory and go with it.
   */
  private async prepareDisk(index: number, runDir: string): Promise<string> {
    const dir =
      this.options.storageMode === 'ephemeral'
        ? runDir
        : path.join(this.persistentDir(), String(index));
    await fs.mkdir(dir, { recursive: true });
    const disk = path.join(dir, 'disk.qcow2');
    const exists = await fs.stat(disk).then(
      () => true,
      () => false,
    );
    if (!exists) {
      await execFileAsync('qemu-img', [
        'create', '-q', '-f', 'qcow2',
        '-F', await imageFormat(this.options.baseImage),
        '-b', this.options.baseImage,
        disk,
      ]);
    }
    return disk;
  }
}

async function imageFormat(file: string): Promise<string> {
  const { stdout } = await execFileAsync('qemu-img', ['info', '--output=json', file]);
  return JSON.parse(stdout).format;
}
