import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import type { LoggerService } from '@backstage/backend-plugin-api';
import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import { DEFAULT_SNAPSHOT_FALLBACK } from '@loco-portal/plugin-loco-common';
import type {
  EmulatorRuntime,
  EnvironmentChange,
  EnvironmentSpec,
  InstanceAction,
  PublishedSnapshot,
  RuntimeListing,
  VncOpenOptions,
} from '../runtime/EmulatorRuntime';
import { BootLimiter } from './BootLimiter';
import { ImageSources } from './imageSources';
import { LocalEnvironment, LocalEnvironmentOptions } from './LocalEnvironment';
import { InstanceSupervisor } from './InstanceSupervisor';
import type { InstanceContext } from './supervisorOptions';
import type { LocalRuntimeConfig } from './localConfig';
import { cleanStaleRuns } from './staleRuns';
import { RegistrySnapshots } from './registrySnapshots';
import { publishInstance } from './publishInstance';

export interface LocalRuntimeOptions {
  /** Probe/stop timing overrides (tests). */
  tuning?: LocalEnvironmentOptions['tuning'];
}

/**
 * The embedded runtime: environments of QEMU child processes of the backend.
 *
 * @public
 */
export class LocalRuntime implements EmulatorRuntime {
  readonly kind = 'local' as const;
  private readonly environments = new Map<string, LocalEnvironment>();
  /** Sockets, pid files and ephemeral disks of this runtime, and nothing else. */
  readonly runRoot: string;
  private readonly context: InstanceContext;
  /** Tags pulled from `loco.local.snapshots.registry`, when configured. */
  private readonly registrySnapshots?: RegistrySnapshots;
  private readonly images: ImageSources;

  constructor(
    private readonly config: LocalRuntimeConfig,
    private readonly logger: LoggerService,
    private readonly options: LocalRuntimeOptions = {},
  ) {
    // Unix socket paths are limited to 108 bytes, so sockets live under a short
    // per-state-directory folder in /tmp rather than deep in the checkout.
    const id = createHash('sha256')
      .update(config.stateDir)
      .digest('hex')
      .slice(0, 10);
    this.runRoot = path.join(os.tmpdir(), `loco-${id}`);
    this.context = {
      qemuBinary: config.qemuBinary,
      logger,
      coldBoots: new BootLimiter(
        config.coldBootConcurrency ?? os.availableParallelism(),
      ),
      accel: { requested: config.accel, kvmFailure: null },
    };
    if (config.snapshots) {
      this.registrySnapshots = new RegistrySnapshots(
        config.snapshots,
        path.join(config.stateDir, 'snapshots'),
        logger,
      );
    }
    this.images = new ImageSources(config, logger, this.registrySnapshots);
  }

  /** Cleans up after a crashed predecessor, then starts the environments declared in config. */
  async start(): Promise<void> {
    await fs.mkdir(this.runRoot, { recursive: true });
    const { killed, removed } = await cleanStaleRuns(this.runRoot, this.logger);
    if (removed.length > 0) {
      this.logger.info(
        `Cleaned up ${removed.length} stale run directories of a previous run (killed ${killed.length} orphaned QEMUs)`,
      );
    }
    for (const env of this.config.environments) {
      await this.createEnvironment({
        name: env.name,
        instances: env.instances,
        storageMode: env.storageMode,
        owner: env.owner,
        snapshotTag: env.image,
      });
    }
  }

  async stop(): Promise<void> {
    await Promise.all([...this.environments.values()].map(e => e.stop()));
    this.environments.clear();
    // Only when empty: another runtime on the same state directory may still use it.
    await fs.rmdir(this.runRoot).catch(() => undefined);
  }

  async listEnvironments(): Promise<RuntimeListing> {
    const now = new Date();
    return {
      items: [...this.environments.values()].map(e => e.describe(now)),
      errors: [],
    };
  }

  async openVnc(
    environment: string,
    index: number,
    options?: VncOpenOptions,
  ): Promise<Duplex> {
    return this.localInstance(environment, index).openVnc(options?.onread);
  }

  async screenshot(environment: string, index: number): Promise<Buffer> {
    return this.localInstance(environment, index).controls.screenshot();
  }

  async runAction(
    environment: string,
    index: number,
    action: InstanceAction,
  ): Promise<void> {
    const instance = this.localInstance(environment, index);
    switch (action) {
      case 'restart':
        await instance.restart();
        return;
      case 'reset':
        await instance.controls.reset();
        break;
      case 'save':
        await instance.controls.save();
        break;
      case 'restore':
        await instance.controls.restore();
        break;
      default:
        throw new InputError(`Unknown action "${String(action)}"`);
    }
    instance.noteAction(action);
  }

  async createEnvironment(spec: EnvironmentSpec): Promise<void> {
    if (this.environments.has(spec.name)) {
      throw new ConflictError(`Environment ${spec.name} already exists`);
    }
    if (spec.storageMode === 'hostpath' && !this.config.hostPath) {
      throw new InputError(
        'storageMode hostpath needs loco.local.hostPath in the backend config',
      );
    }
    const fallback = spec.snapshotFallback ?? DEFAULT_SNAPSHOT_FALLBACK;
    const source = await this.images.sourceFor(
      spec.name,
      spec.snapshotTag,
      fallback,
    );
    const env = new LocalEnvironment({
      name: spec.name,
      instances: spec.instances,
      storageMode: spec.storageMode,
      owner: spec.owner,
      snapshotFallback: fallback,
      runRoot: this.runRoot,
      storage: {
        stateDir: this.config.stateDir,
        hostPath: this.config.hostPath,
        sharedDirMode: this.config.sharedDirMode,
      },
      context: this.context,
      tuning: this.options.tuning,
    });
    this.environments.set(spec.name, env);
    try {
      // A tag from the registry is pulled in the background: the
      // instances are listed at once, their health says how far it is.
      await env.begin(source);
    } catch (error) {
      this.environments.delete(spec.name);
      await env.stop();
      throw error;
    }
    this.logger.info(
      `${'ready' in source ? 'Started' : 'Pulling'} local environment ${
        spec.name
      } (${spec.instances} instances, ${spec.storageMode}, image ${
        source.tag
      })`,
    );
  }

  async updateEnvironment(
    name: string,
    change: EnvironmentChange,
  ): Promise<void> {
    const env = this.environments.get(name);
    if (!env) throw new NotFoundError(`Environment ${name} does not exist`);
    if (change.instances !== undefined) {
      if (
        !Number.isInteger(change.instances) ||
        change.instances < 1 ||
        change.instances > 32
      ) {
        throw new InputError('instances must be an integer between 1 and 32');
      }
    }
    if (change.snapshotFallback !== undefined) {
      env.snapshotFallback = change.snapshotFallback;
    }
    // The same tag again is a retry when its last pull failed or fell back.
    if (
      change.snapshotTag !== undefined &&
      (change.snapshotTag !== env.imageTag || env.offItsTag)
    ) {
      const source = await this.images.sourceFor(
        name,
        change.snapshotTag,
        env.snapshotFallback,
      );
      if (change.instances !== undefined)
        await env.scale(Math.min(change.instances, env.size));
      await env.changeImage(source);
    }
    if (change.instances !== undefined) await env.scale(change.instances);
    this.logger.info(
      `Updated local environment ${name}: ${JSON.stringify(change)}`,
    );
  }

  async destroyEnvironment(name: string): Promise<void> {
    const env = this.environments.get(name);
    if (!env) throw new NotFoundError(`Environment ${name} does not exist`);
    this.environments.delete(name);
    await env.destroy();
  }

  /**
   * Publishes an instance's current disk and RAM state as `tag` in
   * `loco.local.snapshots.registry` (docs/snapshots.md); the instance pauses
   * briefly and goes on running. Callers check loco.environment.manage.
   */
  async publishSnapshot(
    environment: string,
    index: number,
    tag: string,
  ): Promise<PublishedSnapshot> {
    if (!this.registrySnapshots) {
      throw new InputError(
        'Publishing snapshots needs loco.local.snapshots.registry in the backend config',
      );
    }
    const instance = this.localInstance(environment, index);
    const digest = await publishInstance(instance, {
      client: this.registrySnapshots.client,
      tag,
      qemuBinary: this.config.qemuBinary,
      workParent: path.join(this.config.stateDir, 'snapshots'),
    });
    this.logger.info(
      `Published ${instance.name} as snapshot ${tag} (${digest})`,
    );
    return { tag, digest };
  }

  /** One instance's supervisor (tests and the bench drive QMP through it). */
  localInstance(environment: string, index: number): InstanceSupervisor {
    const env = this.environments.get(environment);
    const instance = env?.instance(index);
    if (!instance && env?.waitingFor) {
      throw new ConflictError(
        `${environment}-${index} is not running: ${env.waitingFor}`,
      );
    }
    if (!instance) {
      throw new NotFoundError(
        `Environment ${environment} has no instance ${index}`,
      );
    }
    return instance;
  }
}
