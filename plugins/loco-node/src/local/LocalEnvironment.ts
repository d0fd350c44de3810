import fs from 'node:fs/promises';
import path from 'node:path';
import {
  LocoEnvironment,
  SnapshotFallback,
  StorageMode,
  summarizeStates,
} from '@loco-portal/plugin-loco-common';
import {
  deriveInstanceHealth,
  NOT_STARTED_FACTS,
} from '../health/deriveInstanceHealth';
import { ImagePreparation, ImageSource } from './imagePreparation';
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
  /** When a pull of its tag fails (kept for tag changes on update). */
  snapshotFallback: SnapshotFallback;
  runRoot: string;
  storage: StorageRoots;
  context: InstanceContext;
  /** Probe/stop timing overrides (tests). */
  tuning?: Pick<
    SupervisorOptions,
    'probeIntervalMs' | 'powerdownTimeoutMs' | 'kvmTimeoutMs'
  >;
}

/**
 * The instances of one local environment, their disks and their LAN. Its
 * image is at hand, or prepared in the background (a registry pull): until
 * then the instances are listed with health saying why they wait.
 */
export class LocalEnvironment {
  private readonly instances: InstanceSupervisor[] = [];
  private readonly storage: EnvironmentStorage;
  private image: ResolvedImage | null = null;
  /** The tag asked for (the image may be a fallback with another tag). */
  private tag = '';
  /** Why the image is not the one asked for (a pull fell back), on every instance's health. */
  private notice: string | null = null;
  private preparation: ImagePreparation | null = null;
  /** The background start after a preparation (stop waits for it). */
  private background: Promise<void> | null = null;
  private desired: number;
  private fallback: SnapshotFallback;

  constructor(private readonly options: LocalEnvironmentOptions) {
    this.storage = new EnvironmentStorage(
      options.name,
      options.storageMode,
      options.storage,
    );
    this.desired = options.instances;
    this.fallback = options.snapshotFallback;
  }

  get name(): string {
    return this.options.name;
  }

  get storageMode(): StorageMode {
    return this.options.storageMode;
  }

  get snapshotFallback(): SnapshotFallback {
    return this.fallback;
  }

  /** An update's new policy: for its tag's pull, and every later one. */
  set snapshotFallback(fallback: SnapshotFallback) {
    this.fallback = fallback;
  }

  get imageTag(): string {
    return this.tag;
  }

  /**
   * The tag asked for is not what runs or waits (its pull failed, or a
   * fallback runs): an update to the same tag tries it again.
   */
  get offItsTag(): boolean {
    return this.notice !== null || Boolean(this.preparation?.failed);
  }

  /** Why the instances are not there yet (a pull under way or failed), else null. */
  get waitingFor(): string | null {
    return this.preparation?.describe() ?? null;
  }

  get size(): number {
    return this.instances.length;
  }

  instance(index: number): InstanceSupervisor | undefined {
    return this.instances[index];
  }

  /**
   * Starts the instances on an image at hand; with one to prepare, returns
   * at once and starts them when it is ready (with its notice), or leaves
   * them down with the reason. Errors of a ready start are thrown.
   */
  async begin(source: ImageSource): Promise<void> {
    this.tag = source.tag;
    this.notice = null;
    if ('ready' in source) {
      this.image = source.ready;
      await this.grow(this.desired);
      return;
    }
    this.image = null;
    const preparation = new ImagePreparation(source.tag, source.prepare);
    this.preparation = preparation;
    this.background = preparation.done.then(async prepared => {
      if (!prepared || preparation.cancelled) return;
      this.image = prepared.image;
      this.notice = prepared.notice ?? null;
      this.preparation = null;
      try {
        await this.grow(this.desired);
      } catch (error) {
        this.options.context.logger.error(
          `${this.name}: could not start on ${prepared.image.tag}: ${error}`,
        );
      }
    });
  }

  /** Adds or removes instances from the end; kept disks of removed ones stay (like a StatefulSet's volumes). */
  async scale(count: number): Promise<void> {
    this.desired = count;
    // Not ready yet: the preparation starts `desired` instances when it is.
    if (this.preparation) return;
    await this.background;
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

  /** Moves every instance to another base image: new disks, cold boots (then new snapshots). A pull under way is cancelled. */
  async changeImage(source: ImageSource): Promise<void> {
    await this.stop();
    this.instances.length = 0;
    await this.begin(source);
  }

  /** Cancels a preparation under way, then stops the instances. */
  async stop(): Promise<void> {
    await this.preparation?.cancel();
    await this.background;
    this.preparation = null;
    this.background = null;
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
    const notice = this.notice ? [this.notice] : [];
    const instances = this.instances.map((instance, index) => {
      const { waiting, notes } = instance.notes();
      const health = deriveInstanceHealth(instance.facts(), now, {
        intendedRunning: instance.intendedRunning,
        waiting,
        notes: [...notes, ...notice],
      });
      return { index, name: instance.name, state: health.state, health };
    });
    // Instances not made yet: their image is pulled, or they are on their way.
    const pending = this.preparation?.health() ?? {
      waiting: 'preparing the disk',
      notes: [],
    };
    for (let index = instances.length; index < this.desired; index++) {
      const health = deriveInstanceHealth(NOT_STARTED_FACTS, now, {
        intendedRunning: true,
        ...pending,
      });
      const name = `${this.options.name}-${index}`;
      instances.push({ index, name, state: health.state, health });
    }
    return {
      name: this.options.name,
      runtime: 'local',
      location: 'local',
      owner: this.options.owner ?? null,
      storageMode: this.options.storageMode,
      snapshotTag: this.tag,
      desiredInstances: this.desired,
      instances,
      summary: summarizeStates(instances.map(i => i.state)),
    };
  }

  private async grow(count: number): Promise<void> {
    const { name, runRoot, context, tuning } = this.options;
    const image = this.image!;
    const lan = lanEndpoint(name, runRoot);
    const added: InstanceSupervisor[] = [];
    for (let index = this.instances.length; index < count; index++) {
      const runDir = path.join(runRoot, `${name}-${index}`);
      await fs.rm(runDir, { recursive: true, force: true });
      await fs.mkdir(runDir, { recursive: true });
      const disk = await this.storage.prepareDisk(index, runDir, image);
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
        bootSnapshot: image.snapshot ?? BOOT_SNAPSHOT,
        autoSaveBootSnapshot: !image.snapshot,
        snapshotsPossible: this.storage.snapshotsPossible,
        launch: {
          environment: name,
          name: `${name}-${index}`,
          index,
          count,
          diskPath,
          runDir,
          memoryMb: image.memoryMb,
          vga: image.vga,
          sound: image.sound,
          sharedDir: this.storage.sharedDir,
          sharedDirMode: this.storage.sharedDirMode,
          netdev: multicastNetdev(lan.group, lan.port),
          mac: instanceMac(name, index),
          extraArgs: image.extraArgs,
        },
      });
      this.instances.push(instance);
      added.push(instance);
    }
    // Snapshot starts spawn at once; cold boots queue for a slot inside start().
    await Promise.all(added.map(i => i.start()));
  }
}
