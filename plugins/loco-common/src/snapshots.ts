/**
 * What an emulator does when its snapshot tag cannot be pulled: `builtin`
 * boots the disk that is there, else the image's own built-in disk (the
 * seeds' "fallback to traditional snapshot creation"); `fail` stays down and
 * says why on its health (the emulator agent retries the pull; the local
 * runtime pulls again on an update to the tag or a new create). Shared by the emulator
 * agent's LOCO_SNAPSHOT_FALLBACK, the local runtime's environments and
 * everything that sets them (the chart's snapshot.fallback, the scaffolder).
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

const PULL_FAILED = 'pull failed: ';
const BUILTIN_INSTEAD = "; booting the image's built-in disk instead";

/**
 * The health reason while a snapshot tag is pulled: `pulling games` before
 * the size is known, then `pulling games 45 %`. Both runtimes (the local
 * runtime's create and the emulator agent in pods) say it in these words, so
 * the tiles show the same thing wherever an environment runs.
 *
 * @public
 */
export function snapshotPullingReason(tag: string, percent?: number): string {
  return percent === undefined
    ? `pulling ${tag}`
    : `pulling ${tag} ${percent} %`;
}

/**
 * The health reason of a failed pull, with the registry's own words, e.g.
 * `pull failed: 401 from registry HOST: it needs a username and password…`.
 *
 * @public
 */
export function snapshotPullFailedReason(message: string): string {
  return `${PULL_FAILED}${message}`;
}

/**
 * The note an instance keeps while it runs the image's own disk because its
 * snapshot could not be pulled (the `builtin` fallback).
 *
 * @public
 */
export function builtinFallbackNotice(failure: string): string {
  return `${failure}${BUILTIN_INSTEAD}`;
}

/**
 * The failed pull among an instance's health reasons that keeps it down
 * (fallback `fail`), or undefined. A `builtin` fallback's notice is not one:
 * that instance boots the built-in disk. Lets a caller waiting for the
 * instances stop at the registry's answer instead of at its timeout.
 *
 * @public
 */
export function snapshotPullFailure(
  reasons: readonly string[],
): string | undefined {
  return reasons.find(
    r => r.startsWith(PULL_FAILED) && !r.endsWith(BUILTIN_INSTEAD),
  );
}
