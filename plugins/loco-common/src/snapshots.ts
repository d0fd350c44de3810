/**
 * What an emulator does when its snapshot tag cannot be pulled: `builtin`
 * boots the disk that is there, else the image's own built-in disk (the
 * seeds' "fallback to traditional snapshot creation"); `fail` stays down and
 * says why on its health, retrying the pull. Shared by the emulator agent's
 * LOCO_SNAPSHOT_FALLBACK and everything that sets it.
 *
 * @public
 */
export const SNAPSHOT_FALLBACKS = ['builtin', 'fail'] as const;

/**
 * One of {@link SNAPSHOT_FALLBACKS}.
 *
 * @public
 */
export type SnapshotFallback = (typeof SNAPSHOT_FALLBACKS)[number];

/**
 * The fallback when none is configured.
 *
 * @public
 */
export const DEFAULT_SNAPSHOT_FALLBACK: SnapshotFallback = 'builtin';
