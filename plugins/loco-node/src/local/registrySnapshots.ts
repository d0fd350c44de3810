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
}

/** What is cached per tag, in `<cacheDir>/<tag>.json`. */
interface CacheRecord {
  digest: string;
  file: string;
  config: SnapshotConfig;
}

/**
 * Snapshot tags of `loco.local.snapshots.registry`, pulled once into
 * `<stateDir>/snapshots/` and reused: a tag is asked for its current
 * manifest digest on every resolve, and pulled again only when it moved.
 * When the registry cannot be reached, the last pulled copy of the tag is
 * used (and said so in the log); with no copy, the error names the cause.
 * Concurrent resolves of one tag share one pull.
 */
export class RegistrySnapshots {
  /** The repository, with its credentials (publishInstance pushes with it). */
  readonly client: RegistryClient;
  private readonly pulls = new Map<string, Promise<PulledImage>>();

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

  resolve(
    tag: string,
    onProgress?: (p: SnapshotProgress) => void,
  ): Promise<PulledImage> {
    const problem = snapshotTagProblem(tag);
    if (problem) return Promise.reject(new InputError(problem));
    let pull = this.pulls.get(tag);
    if (!pull) {
      pull = this.pull(tag, onProgress).finally(() => this.pulls.delete(tag));
      this.pulls.set(tag, pull);
    }
    return pull;
  }

  private async pull(
    tag: string,
    onProgress?: (p: SnapshotProgress) => void,
  ): Promise<PulledImage> {
    const cached = await this.cached(tag);
    let digest: string;
    try {
      ({ digest } = await this.client.getManifest(tag));
    } catch (error) {
      if (error instanceof OciError && error.status === 404) {
        throw new NotFoundError(
          `Snapshot tag "${tag}" is not in ${this.client.name}`,
        );
      }
      if (cached) {
        this.logger.warn(
          `Using the copy of snapshot ${tag} pulled before (${
            cached.digest
          }): ${(error as Error).message}`,
        );
        return {
          tag,
          path: cached.file,
          config: cached.config,
          digest: cached.digest,
        };
      }
      throw new ServiceUnavailableError(
        `pull failed: ${(error as Error).message}`,
      );
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
      }));
    } catch (error) {
      throw new ServiceUnavailableError(
        `pull failed: ${(error as Error).message}`,
      );
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
