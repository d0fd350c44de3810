import fs from 'node:fs/promises';
import path from 'node:path';
import {
  LocoEnvironment,
  StorageMode,
  summarizeStates,
} from '@loco-portal/plugin-loco-common';
import { deriveInstanceHealth } from '../health/deriveInstanceHealth';
import { EnvironmentStorage, StorageRoots } from './instanceStorage';
import { BOOT_SNAPSHOT } from './instanceControls';
import { InstanceSupervisor } from './InstanceSupervisor';
import type { InstanceContext, SupervisorOptions } from './supervisorOptions';
import { instanceMac, lanEndpoint } from './lanAddress';
import type { SoundCard } from './localConfig';
import { multicastNetdev } from './qemuArgs';

/** A configured image with every launch setting resolved (image value, else runtime default). */
export interface ResolvedImage {
  tag: string;
  path: string;
  snapshot?: string;
  memoryMb: number;
  vga: string;
  sound: SoundCard;
  extraArgs: string[];
}

export interface LocalEnvironmentOptions {
  name: string;
  instances: number;
  storageMode: StorageMode;
  owner?: string;
  image: ResolvedImage;
  runRoot: string;
  storage: StorageRoots;
  context: InstanceContext;
  /** Probe/stop timing overrides (tests). */
  tuning?: Pick<
    SupervisorOptions,
    'probeIntervalMs' | 'powerdownTimeoutMs' | 'kvmTimeoutMs'
  >;
}

/** The instances of one local environment, their disks and their LAN. */
export class LocalEnvironment {
  private readonly instances: InstanceSupervisor[] = [];
  private readonly storage: EnvironmentStorage;
  private image: ResolvedImage;
  private desired: number;

  constructor(private readonly options: LocalEnvironmentOptions) {
    this.storage = new EnvironmentStorage(
      options.name,
      options.storageMode,
      options.storage,
    );
    this.image = options.image;
    this.desired = options.instances;
  }

  get name(): string {
    return this.options.name;
  }

  get storageMode(): StorageMode {
    return this.options.storageMode;
  }

  get imageTag(): string {
    return this.image.tag;
  }

  get size(): number {
    return this.instances.length;
  }

  instance(index: number): InstanceSupervisor | undefined {
    return this.instances[index];
  }

  async start(): Promise<void> {
    await this.grow(this.desired);
  }

  /** Adds or removes instances from the end; kept disks of removed ones stay (like a StatefulSet's volumes). */
  async scale(count: number): Promise<void> {
    this.desired = count;
    if (count > this.instances.length) {
      await this.grow(count);
      return;
    }
    const removed = this.instances.splice(count);
    await Promise.all(removed.map(i => i.stop()));
    await Promise.all(
      removed.map(i => fs.rm(i.runDir, { recursive: true, force: true })),
    );
  }

  /** Moves every instance to another base image: new disks, cold boots (then new snapshots). */
  async changeImage(image: ResolvedImage): Promise<void> {
    await this.stop();
    this.instances.length = 0;
    this.image = image;
    await this.start();
  }

  async stop(): Promise<void> {
    await Promise.all(this.instances.map(i => i.stop()));
    await Promise.all(
      this.instances.map(i =>
        fs.rm(i.runDir, { recursive: true, force: true }),
      ),
    );
  }

  /** Stops the instances and removes everything the environment kept on disk. */
  async destroy(): Promise<void> {
    await this.stop();
    await this.storage.removeAll();
  }

  describe(now: Date): LocoEnvironment {
    const instances = this.instances.map((instance, index) => {
      const health = deriveInstanceHealth(instance.facts(), now, {
        intendedRunning: instance.intendedRunning,
        ...instance.notes(),
      });
      return { index, name: instance.name, state: health.state, health };
    });
    return {
      name: this.options.name,
      runtime: 'local',
      location: 'local',
      owner: this.options.owner ?? null,
      storageMode: this.options.storageMode,
      snapshotTag: this.image.tag,
      desiredInstances: this.desired,
      instances,
      summary: summarizeStates(instances.map(i => i.state)),
    };
  }

  private async grow(count: number): Promise<void> {
    const { name, runRoot, context, tuning } = this.options;
    const lan = lanEndpoint(name, runRoot);
    const added: InstanceSupervisor[] = [];
    for (let index = this.instances.length; index < count; index++) {
      const runDir = path.join(runRoot, `${name}-${index}`);
      await fs.rm(runDir, { recursive: true, force: true });
      await fs.mkdir(runDir, { recursive: true });
      const disk = await this.storage.prepareDisk(index, runDir, this.image);
      if (disk.replaced) {
        const { because, keptAs } = disk.replaced;
        context.logger.warn(
          `${name}-${index}: new disk because ${because}; the old one is kept as ${keptAs}`,
        );
      }
      const diskPath = disk.path;
      const instance = new InstanceSupervisor({
        context,
        ...tuning,
        bootSnapshot: this.image.snapshot ?? BOOT_SNAPSHOT,
        autoSaveBootSnapshot: !this.image.snapshot,
        snapshotsPossible: this.storage.snapshotsPossible,
        launch: {
          environment: name,
          name: `${name}-${index}`,
          index,
          count,
          diskPath,
          runDir,
          memoryMb: this.image.memoryMb,
          vga: this.image.vga,
          sound: this.image.sound,
          sharedDir: this.storage.sharedDir,
          sharedDirMode: this.storage.sharedDirMode,
          netdev: multicastNetdev(lan.group, lan.port),
          mac: instanceMac(name, index),
          extraArgs: this.image.extraArgs,
        },
      });
      this.instances.push(instance);
      added.push(instance);
    }
    // Snapshot starts spawn at once; cold boots queue for a slot inside start().
    await Promise.all(added.map(i => i.start()));
  }
}
