import fs from 'node:fs/promises';
import path from 'node:path';
import type { LoggerService } from '@backstage/backend-plugin-api';
import {
  InputError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import { snapshotTagProblem } from '@loco-portal/plugin-loco-common';
import { OciError } from '../oci/ociErrors';
import { RegistryClient } from '../oci/RegistryClient';
import {
  pullSnapshot,
  snapshotConfigSchema,
  type SnapshotConfig,
  type SnapshotProgress,
} from '../oci/snapshotArtifact';
import type { LocalSnapshotsConfig } from './localConfig';

/** A snapshot ready on disk: a self-contained qcow2 and what its config says. */
export interface PulledImage {
  tag: string;
  path: string;
  config: SnapshotConfig;
  digest: string;
  /** Set when this is not the tag's current copy (the registry could not be asked). */
  notice?: string;
}

/** What is cached per tag, in `<cacheDir>/<tag>.json`. */
interface CacheRecord {
  digest: string;
  file: string;
  config: SnapshotConfig;
}

/** One pull of a tag, shared by every environment waiting for it. */
interface SharedPull {
  result: Promise<PulledImage>;
  controller: AbortController;
  listeners: Set<(p: SnapshotProgress) => void>;
}

/**
 * Snapshot tags of `loco.local.snapshots.registry`, pulled once into
 * `<stateDir>/snapshots/` and reused: a tag is asked for its current
 * manifest digest on every resolve, and pulled again only when it moved.
 * When the registry cannot be reached, the last pulled copy of the tag is
 * used (with a notice); with no copy, the error gives the registry's reason.
 * Concurrent resolves of one tag share one pull, which is cancelled when
 * every one of them is (an environment destroyed while it pulls).
 */
export class RegistrySnapshots {
  /** The repository, with its credentials (publishInstance pushes with it). */
  readonly client: RegistryClient;
  private readonly pulls = new Map<string, SharedPull>();

  constructor(
    config: LocalSnapshotsConfig,
    private readonly cacheDir: string,
    private readonly logger: LoggerService,
  ) {
    this.client = new RegistryClient(config.registry, {
      credentials:
        config.username && config.password
          ? { username: config.username, password: config.password }
          : undefined,
      plainHttp: config.plainHttp,
    });
  }

  /** The registry's tags (for forms); empty when the repository has none. */
  listTags(signal?: AbortSignal): Promise<string[]> {
    return this.client.listTags(signal);
  }

  /**
   * The tag's snapshot on disk, pulled when needed. Errors carry the
   * registry's reason without a prefix (callers say `pull failed: …`).
   */
  resolve(
    tag: string,
    options: {
      onProgress?: (p: SnapshotProgress) => void;
      signal?: AbortSignal;
    } = {},
  ): Promise<PulledImage> {
    const problem = snapshotTagProblem(tag);
    if (problem) return Promise.reject(new InputError(problem));
    let shared = this.pulls.get(tag);
    if (!shared) {
      const controller = new AbortController();
      const listeners = new Set<(p: SnapshotProgress) => void>();
      const result = this.pull(tag, controller.signal, p =>
        listeners.forEach(l => l(p)),
      ).finally(() => this.pulls.delete(tag));
      shared = { result, controller, listeners };
      this.pulls.set(tag, shared);
    }
    return this.join(shared, options.onProgress, options.signal);
  }

  /** Waits for a shared pull; leaving it (abort) cancels it when nobody else waits. */
  private join(
    shared: SharedPull,
    onProgress?: (p: SnapshotProgress) => void,
    signal?: AbortSignal,
  ): Promise<PulledImage> {
    const listener = onProgress ?? (() => undefined);
    shared.listeners.add(listener);
    if (!signal) return shared.result;
    return new Promise<PulledImage>((resolve, reject) => {
      const leave = () => {
        shared.listeners.delete(listener);
        if (shared.listeners.size > 0) {
          reject(signal.reason);
          return;
        }
        // The last one out cancels the pull and waits until it has let go
        // of its files (a destroy then finds nothing left to clean).
        shared.controller.abort();
        shared.result.then(
          () => reject(signal.reason),
          () => reject(signal.reason),
        );
      };
      if (signal.aborted) {
        leave();
        return;
      }
      signal.addEventListener('abort', leave, { once: true });
      shared.result.then(resolve, reject).finally(() => {
        signal.removeEventListener('abort', leave);
        shared.listeners.delete(listener);
      });
    });
  }

  private async pull(
    tag: string,
    signal: AbortSignal,
    onProgress: (p: SnapshotProgress) => void,
  ): Promise<PulledImage> {
    const cached = await this.cached(tag);
    let digest: string;
    try {
      ({ digest } = await this.client.getManifest(tag, signal));
    } catch (error) {
      if (error instanceof OciError && error.status === 404) {
        throw new NotFoundError(
          `Snapshot tag "${tag}" is not in ${this.client.name}`,
        );
      }
      if (cached && !signal.aborted) {
        const notice = `Using the copy of snapshot ${tag} pulled before (${
          cached.digest
        }): ${(error as Error).message}`;
        this.logger.warn(notice);
        return {
          tag,
          path: cached.file,
          config: cached.config,
          digest: cached.digest,
          notice,
        };
      }
      throw new ServiceUnavailableError((error as Error).message);
    }
    if (cached?.digest === digest) {
      return { tag, path: cached.file, config: cached.config, digest };
    }
    await fs.mkdir(this.cacheDir, { recursive: true });
    const file = path.join(this.cacheDir, `${digest.replace(':', '-')}.qcow2`);
    this.logger.info(`Pulling snapshot ${this.client.name}:${tag} (${digest})`);
    let config: SnapshotConfig;
    try {
      ({ config } = await pullSnapshot(this.client, digest, file, {
        onProgress,
        signal,
      }));
    } catch (error) {
      // Cancelled: nobody wants these bytes. Cut by the network: kept, so
      // the next pull resumes from them.
      if (signal.aborted) await fs.rm(`${file}.partial`, { force: true });
      throw new ServiceUnavailableError((error as Error).message);
    }
    // Earlier pulls stay: disks set aside on a tag change may still be
    // overlays on them (docs/snapshots.md says how to prune the cache).
    const record: CacheRecord = { digest, file, config };
    await fs.writeFile(this.recordFile(tag), JSON.stringify(record));
    return { tag, path: file, config, digest };
  }

  private recordFile(tag: string): string {
    return path.join(this.cacheDir, `${tag}.json`);
  }

  private async cached(tag: string): Promise<CacheRecord | null> {
    try {
      const raw = JSON.parse(await fs.readFile(this.recordFile(tag), 'utf8'));
      const config = snapshotConfigSchema.parse(raw.config);
      if (typeof raw.digest !== 'string' || typeof raw.file !== 'string')
        return null;
      await fs.access(raw.file);
      return { digest: raw.digest, file: raw.file, config };
    } catch {
      return null;
    }
  }
}
