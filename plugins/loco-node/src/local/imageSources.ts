import type { LoggerService } from '@backstage/backend-plugin-api';
import { InputError, NotFoundError } from '@backstage/errors';
import {
  builtinFallbackNotice,
  snapshotPullFailedReason,
  snapshotTagProblem,
  type SnapshotFallback,
} from '@loco-portal/plugin-loco-common';
import { pullProgressReasons } from '../oci/pullProgress';
import { validateBaseImage } from './diskImages';
import type { ImageSource, PreparedImage } from './imagePreparation';
import type { ResolvedImage } from './LocalEnvironment';
import type { LocalImageConfig, LocalRuntimeConfig } from './localConfig';
import type { RegistrySnapshots } from './registrySnapshots';

/**
 * Where a local environment's image comes from: a tag of `loco.local.images`
 * is at hand; any other tag is pulled from `loco.local.snapshots.registry`
 * in the background, and when that fails the environment's fallback decides
 * (`builtin`: the first image of `loco.local.images`, the runtime's own disk;
 * `fail`: the instances stay down with the registry's reason).
 */
export class ImageSources {
  constructor(
    private readonly config: LocalRuntimeConfig,
    private readonly logger: LoggerService,
    private readonly registry?: RegistrySnapshots,
  ) {}

  /** Throws at once for a tag that can never work (no such image, no registry, a bad name). */
  async sourceFor(
    environment: string,
    tag: string | undefined,
    fallback: SnapshotFallback,
  ): Promise<ImageSource> {
    const name = tag ?? this.builtinTag();
    if (name && this.config.images[name]) {
      return { tag: name, ready: await this.local(environment, name) };
    }
    if (name && this.registry) {
      const problem = snapshotTagProblem(name);
      if (problem) throw new InputError(problem);
      return {
        tag: name,
        prepare: (signal, report) =>
          this.pull(environment, name, fallback, signal, report),
      };
    }
    throw new NotFoundError(
      `No local image is configured for snapshot tag "${tag}" (known: ${
        Object.keys(this.config.images).join(', ') || 'none'
      })`,
    );
  }

  private async pull(
    environment: string,
    tag: string,
    fallback: SnapshotFallback,
    signal: AbortSignal,
    report: (reason: string) => void,
  ): Promise<PreparedImage | { failed: string }> {
    const registry = this.registry!;
    try {
      const pulled = await registry.resolve(tag, {
        signal,
        onProgress: pullProgressReasons(tag, report),
      });
      const image = await this.resolve(environment, tag, {
        path: pulled.path,
        snapshot: pulled.config.ramSnapshot ?? undefined,
        memoryMb: pulled.config.memoryMb ?? undefined,
      });
      return { image, notice: pulled.notice };
    } catch (error) {
      if (signal.aborted) throw error;
      const reason = snapshotPullFailedReason((error as Error).message);
      this.logger.warn(`${environment}: ${reason} (fallback ${fallback})`);
      if (fallback === 'fail') return { failed: reason };
      const builtin = this.builtinTag();
      if (!builtin) {
        return {
          failed: `${reason}; and loco.local.images has no built-in disk to fall back on`,
        };
      }
      return {
        image: await this.local(environment, builtin),
        notice: builtinFallbackNotice(reason),
      };
    }
  }

  /** The runtime's own disk: the first of `loco.local.images` (also a create's default). */
  private builtinTag(): string | undefined {
    return Object.keys(this.config.images)[0];
  }

  private local(environment: string, tag: string): Promise<ResolvedImage> {
    return this.resolve(environment, tag, this.config.images[tag]);
  }

  /** Checked with qemu-img; every launch setting resolved (image, environment, runtime default). */
  private async resolve(
    environment: string,
    tag: string,
    image: LocalImageConfig,
  ): Promise<ResolvedImage> {
    await validateBaseImage(tag, image);
    // The environment's own sound card from config, over its image's.
    const own = this.config.environments.find(
      e => e.name === environment,
    )?.sound;
    return {
      tag,
      path: image.path,
      snapshot: image.snapshot,
      memoryMb: image.memoryMb ?? this.config.memoryMb,
      vga: image.vga ?? this.config.vga,
      sound: own ?? image.sound ?? this.config.sound,
      extraArgs: [...this.config.extraArgs, ...(image.extraArgs ?? [])],
    };
  }
}
