import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import type { LoggerService } from '@backstage/backend-plugin-api';
import { ConflictError, NotFoundError } from '@backstage/errors';
import type {
  EmulatorRuntime,
  EnvironmentChange,
  EnvironmentSpec,
  InstanceAction,
  RuntimeListing,
} from '../runtime/EmulatorRuntime';
import { LocalEnvironment } from './LocalEnvironment';
import { LocalInstance } from './LocalInstance';
import type { LocalRuntimeConfig } from './localConfig';

/**
 * The embedded runtime: environments of QEMU child processes of the backend.
 */
export class LocalRuntime implements EmulatorRuntime {
  readonly kind = 'local' as const;
  private readonly environments = new Map<string, LocalEnvironment>();
  private readonly runRoot: string;

  constructor(
    private readonly config: LocalRuntimeConfig,
    private readonly logger: LoggerService,
  ) {
    // Unix socket paths are limited to 108 bytes, so sockets live under a short
    // per-state-directory folder in /tmp rather than deep in the checkout.
    const id = createHash('sha256').update(config.stateDir).digest('hex').slice(0, 10);
    this.runRoot = path.join(os.tmpdir(), `loco-${id}`);
  }

  /** Starts the environments declared in config. */
  async start(): Promise<void> {
    await fs.mkdir(this.runRoot, { recursive: true });
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
  }

  async listEnvironments(): Promise<RuntimeListing> {
    const now = new Date();
    return {
      items: [...this.environments.values()].map(e => e.describe(now)),
      errors: [],
    };
  }

  async openVnc(environment: string, index: number): Promise<Duplex> {
    return this.instance(environment, index).openVnc();
  }

  async screenshot(environment: string, index: number): Promise<Buffer> {
    return this.instance(environment, index).screenshot();
  }

  async runAction(
    environment: string,
    index: number,
    action: InstanceAction,
  ): Promise<void> {
    const instance = this.instance(environment, index);
    if (action === 'restart') {
      await instance.stop();
      await instance.start();
      return;
    }
    throw new ConflictError(
      `The local runtime does not support "${action}" yet`,
    );
  }

  async createEnvironment(spec: EnvironmentSpec): Promise<void> {
    if (this.environments.has(spec.name)) {
      throw new ConflictError(`Environment ${spec.name} already exists`);
    }
    const tag = spec.snapshotTag ?? Object.keys(this.config.images)[0];
    const image = tag ? this.config.images[tag] : undefined;
    if (!image) {
      throw new NotFoundError(`No local image is configured for tag "${tag}"`);
    }
    const env = new LocalEnvironment({
      ...spec,
      snapshotTag: tag,
      baseImage: image.path,
      stateDir: this.config.stateDir,
      runRoot: this.runRoot,
      qemuBinary: this.config.qemuBinary,
      memoryMb: this.config.memoryMb,
      vga: this.config.vga,
      logger: this.logger,
    });
    this.environments.set(spec.name, env);
    try {
      await env.start();
    } catch (error) {
      this.environments.delete(spec.name);
      await env.destroy();
      throw error;
    }
    this.logger.info(`Started local environment ${spec.name} (${spec.instances} instances)`);
  }

  async updateEnvironment(name: string, _change: EnvironmentChange): Promise<void> {
    throw new ConflictError(
      `The local runtime cannot change environment ${name} in place yet; destroy and re-create it`,
    );
  }

  async destroyEnvironment(name: string): Promise<void> {
    const env = this.environments.get(name);
    if (!env) throw new NotFoundError(`Environment ${name} does not exist`);
    this.environments.delete(name);
    await env.destroy();
  }

  private instance(environment: string, index: number): LocalInstance {
    const instance = this.environments.get(environment)?.instance(index);
    if (!instance) {
      throw new NotFoundError(
        `Environment ${environment} has no instance ${index}`,
      );
    }
    return instance;
  }
}
