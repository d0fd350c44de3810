import type { LoggerService } from '@backstage/backend-plugin-api';
import { InputError, NotFoundError } from '@backstage/errors';
import {
  snapshotPullFailure,
  type LocoEnvironment,
  type StorageMode,
} from '@loco-portal/plugin-loco-common';
import {
  nameTakenError,
  type EnvironmentSpec,
  type LocoRuntimes,
} from '@loco-portal/plugin-loco-node';
import type { LocoActionSettings } from './settings';

/**
 * The local path of the actions: calls the shared LocoRuntimes service in the
 * same process (no HTTP to ourselves).
 */
export class LocalEnvironments {
  constructor(
    private readonly runtimes: LocoRuntimes,
    private readonly settings: LocoActionSettings,
  ) {}

  /** Refuses what the local runtime cannot do before anything starts. */
  check(spec: { snapshotTag?: string }) {
    if (!this.runtimes.kinds().includes('local')) {
      throw new InputError(
        'The local runtime is not enabled here (loco.local.enabled)',
      );
    }
    const tags = this.settings.localSnapshotTags;
    // With a snapshot registry, any tag may be there: the runtime pulls it
    // and fails with the registry's answer when it is not.
    if (
      spec.snapshotTag !== undefined &&
      !tags.includes(spec.snapshotTag) &&
      !this.settings.localSnapshotRegistry
    ) {
      throw new InputError(
        `Unknown snapshot tag "${
          spec.snapshotTag
        }" for the local runtime (configured: ${tags.join(', ') || 'none'})`,
      );
    }
  }

  /** check() plus what a create needs: a place for the storage mode, an image to boot. */
  checkCreate(spec: { snapshotTag?: string; storageMode: StorageMode }) {
    this.check(spec);
    if (spec.storageMode === 'hostpath' && !this.settings.localHostPath) {
      throw new InputError(
        'storageMode hostpath needs loco.local.hostPath in the backend config',
      );
    }
    if (
      spec.snapshotTag === undefined &&
      this.settings.localSnapshotTags.length === 0
    ) {
      throw new InputError('No local image is configured (loco.local.images)');
    }
  }

  /** The environment of that name in any runtime (names are unique across them). */
  async find(name: string): Promise<LocoEnvironment | undefined> {
    const { items } = await this.runtimes.listEnvironments();
    return items.find(e => e.name === name);
  }

  /** Finds a local environment or fails; an environment of another runtime is not ours to touch. */
  async get(name: string): Promise<LocoEnvironment> {
    const env = await this.find(name);
    if (!env || env.runtime !== 'local') {
      throw new NotFoundError(`No local Loco environment named ${name}`);
    }
    return env;
  }

  /**
   * Whether a create of `spec` may go ahead, without changing anything: the
   * name is free (false), or holds this very environment (true: a re-run of
   * the same step, nothing to create). Anything else by that name is a conflict.
   */
  async existsAlready(spec: EnvironmentSpec): Promise<boolean> {
    const existing = await this.find(spec.name);
    if (!existing) return false;
    const same =
      existing.runtime === 'local' &&
      existing.desiredInstances === spec.instances &&
      existing.storageMode === spec.storageMode &&
      (spec.snapshotTag === undefined ||
        existing.snapshotTag === spec.snapshotTag);
    if (!same) throw nameTakenError(spec.name);
    return true;
  }

  /**
   * Waits until every instance is healthy. On timeout or abort the caller
   * destroys what was made; the error names each instance that was not healthy.
   * A snapshot pull that failed with fallback `fail` ends the wait at once:
   * the local runtime pulls again only on an update, so waiting longer cannot
   * help, and the error says the registry's reason.
   */
  async waitHealthy(
    name: string,
    instances: number,
    timeoutMs: number,
    logger: LoggerService,
    signal?: AbortSignal,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      const env = await this.get(name);
      const { healthy, total } = env.summary;
      const progress = `${healthy}/${instances} instances healthy`;
      if (progress !== last) logger.info(`${name}: ${progress}`);
      last = progress;
      if (total === instances && healthy === instances) return;
      const pullFailed = env.instances
        .filter(i => i.state !== 'healthy')
        .map(i => [i.name, snapshotPullFailure(i.health.reasons)] as const)
        .filter(([, reason]) => reason !== undefined);
      if (pullFailed.length > 0) {
        throw new Error(
          `${name} cannot become healthy: ${pullFailed
            .map(([instance, reason]) => `${instance}: ${reason}`)
            .join(', ')}`,
        );
      }
      if (signal?.aborted || Date.now() >= deadline) {
        const problems = env.instances
          .filter(i => i.state !== 'healthy')
          .map(
            i =>
              `${i.name}: ${i.state} (${
                i.health.reasons.join('; ') || 'no reason given'
              })`,
          );
        throw new Error(
          `${name} did not become healthy ${
            signal?.aborted ? 'before the task was cancelled' : 'in time'
          }: ${problems.join(', ')}`,
        );
      }
      // A cancelled task stops waiting at once, not at the next poll.
      await new Promise<void>(resolve => {
        let timer: NodeJS.Timeout | undefined = undefined;
        const wake = () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', wake);
          resolve();
        };
        timer = setTimeout(wake, 1000);
        signal?.addEventListener('abort', wake, { once: true });
      });
    }
  }
}
