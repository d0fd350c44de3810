import { snapshotPullingReason } from '@loco-portal/plugin-loco-common';
import type { ResolvedImage } from './LocalEnvironment';

/** An image to start from, with a note when it is not the one asked for (a fallback). */
export interface PreparedImage {
  image: ResolvedImage;
  notice?: string;
}

/**
 * Gets an environment's image (a registry pull): reports health reasons as it
 * goes, stops when `signal` aborts, and answers `failed` with the reason when
 * the instances must stay down (fallback `fail`).
 */
export type PrepareImage = (
  signal: AbortSignal,
  report: (reason: string) => void,
) => Promise<PreparedImage | { failed: string }>;

/** Where an environment's image comes from: at hand (loco.local.images), or prepared first. */
export type ImageSource =
  | { tag: string; ready: ResolvedImage }
  | { tag: string; prepare: PrepareImage };

/**
 * One environment's image while it is prepared in the background, so a
 * create returns at once: what the instances' health says meanwhile
 * (`pulling games 45 %`, or why they stay down) and its cancellation (a
 * destroy or a tag change during the pull).
 */
export class ImagePreparation {
  private reason: string;
  private failure: string | null = null;
  private readonly controller = new AbortController();
  /** The image; null when it failed (health says why) or was cancelled. */
  readonly done: Promise<PreparedImage | null>;

  constructor(readonly tag: string, prepare: PrepareImage) {
    this.reason = snapshotPullingReason(tag);
    const { signal } = this.controller;
    this.done = prepare(signal, reason => {
      if (!signal.aborted) this.reason = reason;
    }).then(
      result => {
        if (signal.aborted) return null;
        if ('failed' in result) {
          this.failure = result.failed;
          return null;
        }
        return result;
      },
      (error: Error) => {
        if (!signal.aborted) this.failure = error.message;
        return null;
      },
    );
  }

  /** The instances stay down (health says why). */
  get failed(): boolean {
    return this.failure !== null;
  }

  get cancelled(): boolean {
    return this.controller.signal.aborted;
  }

  /** What the waiting instances' health says (deriveInstanceHealth's options). */
  health(): { waiting?: string; notes: string[] } {
    return this.failure
      ? { notes: [this.failure] }
      : { waiting: this.reason, notes: [] };
  }

  /** The current reason in one line (for errors of actions that need a running instance). */
  describe(): string {
    return this.failure ?? this.reason;
  }

  /** Stops the pull; resolves once it has let go of its files. */
  async cancel(): Promise<void> {
    this.controller.abort();
    await this.done;
  }
}
